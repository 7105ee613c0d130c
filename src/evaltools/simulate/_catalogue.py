"""Place, agency and personal-name catalogue of the simulator.

Real provinces, kabupaten/kota, kecamatan/distrik and agency (OPD) names, and common
Indonesian given and second names by regional naming culture. Every person is synthetic.
"""
from __future__ import annotations

# province -> (kabupaten/kota, curated units in order of preference)
_REGIONS: dict[str, tuple[list[str], list[str]]] = {
    "Sumatera Utara": (
        ["Kota Binjai", "Kota Medan", "Kota Pematangsiantar", "Kabupaten Deli Serdang", "Kabupaten Langkat"],
        ["Dinas Kesehatan Kota Binjai", "Disdukcapil Kota Binjai", "Kecamatan Binjai Utara (Binjai)",
         "Dinas Pendidikan Kota Medan", "Kecamatan Medan Baru (Medan)", "DPMPTSP Kota Medan",
         "RSUD Dr. R.M. Djoelham Kota Binjai", "Dinas Sosial Kota Pematangsiantar",
         "Kecamatan Lubuk Pakam (Deli Serdang)", "Dinas Perhubungan Kabupaten Langkat"],
    ),
    "Jawa Tengah": (
        ["Kota Semarang", "Kota Surakarta", "Kabupaten Banyumas", "Kabupaten Kendal", "Kota Magelang"],
        ["Dinas Pendidikan Kota Semarang", "Dinas Kesehatan Kota Semarang", "Kecamatan Banyumanik (Semarang)",
         "Disdukcapil Kota Surakarta", "Kecamatan Laweyan (Surakarta)", "DPMPTSP Kabupaten Banyumas",
         "Dinas Sosial Kabupaten Kendal", "Kecamatan Purwokerto Selatan (Banyumas)",
         "RSUD Tidar Kota Magelang", "Bapenda Kota Semarang"],
    ),
    "Aceh": (
        ["Kota Lhokseumawe", "Kota Banda Aceh", "Kabupaten Aceh Utara", "Kabupaten Bireuen", "Kabupaten Aceh Besar"],
        ["Disdukcapil Kota Lhokseumawe", "Kecamatan Banda Sakti (Lhokseumawe)", "Dinas Kesehatan Kota Banda Aceh",
         "Kecamatan Syiah Kuala (Banda Aceh)", "Dinas Pendidikan Kabupaten Aceh Utara", "DPMPTSP Kota Banda Aceh",
         "Dinas Sosial Kabupaten Bireuen", "Kecamatan Muara Dua (Lhokseumawe)",
         "RSUD Cut Meutia Kabupaten Aceh Utara", "Kecamatan Darussalam (Aceh Besar)"],
    ),
    "Sumatera Barat": (
        ["Kota Padang", "Kota Bukittinggi", "Kota Payakumbuh", "Kabupaten Agam", "Kabupaten Padang Pariaman"],
        ["Kecamatan Lubuk Begalung (Padang)", "Dinas Kesehatan Kota Padang", "Kecamatan Koto Tangah (Padang)",
         "Disdukcapil Kota Bukittinggi", "Dinas Pendidikan Kabupaten Agam", "DPMPTSP Kota Payakumbuh",
         "Dinas Perhubungan Kota Padang", "Kecamatan Guguk Panjang (Bukittinggi)",
         "RSUD dr. Rasidin Kota Padang", "Dinas Sosial Kabupaten Padang Pariaman"],
    ),
    "Papua Selatan": (
        ["Kabupaten Merauke", "Kabupaten Boven Digoel", "Kabupaten Mappi", "Kabupaten Asmat"],
        ["Distrik Salor (Merauke)", "Distrik Merauke (Merauke)", "Dinas Kesehatan Kabupaten Merauke",
         "Disdukcapil Kabupaten Merauke", "Distrik Kurik (Merauke)", "Dinas Pendidikan Kabupaten Boven Digoel",
         "Distrik Mandobo (Boven Digoel)", "RSUD Merauke", "Dinas Sosial Kabupaten Mappi",
         "Distrik Agats (Asmat)"],
    ),
    "Jawa Timur": (["Kota Surabaya", "Kota Malang", "Kabupaten Sidoarjo"], []),
    "Sulawesi Selatan": (["Kota Makassar", "Kabupaten Gowa", "Kota Parepare"], []),
    "Kalimantan Timur": (["Kota Samarinda", "Kota Balikpapan", "Kabupaten Kutai Kartanegara"], []),
    "Bali": (["Kota Denpasar", "Kabupaten Badung", "Kabupaten Gianyar"], []),
    "Nusa Tenggara Timur": (["Kota Kupang", "Kabupaten Sikka", "Kabupaten Manggarai"], []),
    "DI Yogyakarta": (["Kota Yogyakarta", "Kabupaten Sleman", "Kabupaten Bantul"], []),
    "Jawa Barat": (["Kota Bandung", "Kota Bogor", "Kabupaten Garut"], []),
    "Riau": (["Kota Pekanbaru", "Kota Dumai", "Kabupaten Kampar"], []),
    "Sumatera Selatan": (["Kota Palembang", "Kota Prabumulih", "Kabupaten Ogan Ilir"], []),
    "Kalimantan Selatan": (["Kota Banjarmasin", "Kota Banjarbaru", "Kabupaten Banjar"], []),
    "Sulawesi Utara": (["Kota Manado", "Kota Bitung", "Kabupaten Minahasa"], []),
    "Maluku": (["Kota Ambon", "Kota Tual", "Kabupaten Maluku Tengah"], []),
    "Nusa Tenggara Barat": (["Kota Mataram", "Kabupaten Lombok Timur", "Kota Bima"], []),
    "Lampung": (["Kota Bandar Lampung", "Kota Metro", "Kabupaten Lampung Selatan"], []),
    "Banten": (["Kota Serang", "Kota Tangerang", "Kabupaten Pandeglang"], []),
    "Kalimantan Barat": (["Kota Pontianak", "Kota Singkawang", "Kabupaten Sambas"], []),
    "Sulawesi Tengah": (["Kota Palu", "Kabupaten Poso", "Kabupaten Donggala"], []),
    "Jambi": (["Kota Jambi", "Kabupaten Muaro Jambi", "Kabupaten Kerinci"], []),
    "Bengkulu": (["Kota Bengkulu", "Kabupaten Rejang Lebong"], []),
    "Gorontalo": (["Kota Gorontalo", "Kabupaten Gorontalo"], []),
    "Papua": (["Kota Jayapura", "Kabupaten Jayapura", "Kabupaten Biak Numfor"], []),
    "Maluku Utara": (["Kota Ternate", "Kota Tidore Kepulauan"], []),
    "Kepulauan Riau": (["Kota Batam", "Kota Tanjungpinang"], []),
}

_AGENCIES: list[str] = [
    "Dinas Kesehatan", "Dinas Pendidikan", "Disdukcapil", "DPMPTSP", "Dinas Sosial", "Dinas Perhubungan",
    "Dinas PUPR", "Bapenda", "BPBD", "Satpol PP", "Dinas Lingkungan Hidup", "Dinas Tenaga Kerja",
    "Dinas Koperasi dan UKM", "Dinas Pertanian", "Dinas Perpustakaan dan Kearsipan", "Dinas Kominfo",
    "BKPSDM", "Bappeda", "Inspektorat", "Dinas Pariwisata",
]

# Naming cultures: given names by sex ("1" male, "2" female, as the NIP sex digit) and second names.
_FIRST_NAMES: dict[str, dict[int, list[str]]] = {
    "umum": {
        1: ["Agus", "Budi", "Joko", "Slamet", "Bambang", "Hendra", "Rudi", "Dedi", "Eko", "Ahmad", "Muhammad",
            "Rizky", "Fajar", "Arif", "Andi", "Irwan", "Yusuf", "Hasan", "Taufik", "Teguh", "Wahyu", "Dimas",
            "Bayu", "Hadi", "Heru", "Iwan", "Rahmat", "Fauzi", "Ilham", "Reza", "Yudi", "Indra", "Gunawan"],
        2: ["Siti", "Sri", "Dewi", "Nur", "Rina", "Ratna", "Wulan", "Indah", "Fitri", "Yuni", "Endang", "Ani",
            "Dian", "Maya", "Putri", "Ayu", "Novi", "Rahma", "Aisyah", "Nurul", "Yanti", "Susi", "Mega", "Eka",
            "Kartika", "Ratih", "Intan", "Lina", "Desi", "Nadia", "Anisa", "Rini", "Tuti"],
    },
    "batak": {
        1: ["Hotman", "Parulian", "Togar", "Benny", "Robert", "Jhonson", "Marihot", "Sahat", "Bonar", "Darwin",
            "Maruli", "Poltak", "Ridwan", "Syahrul", "Zulkifli", "Rudi", "Hendra", "Andi"],
        2: ["Rosmawati", "Lamria", "Martha", "Juliana", "Rumondang", "Nurhayati", "Sondang", "Tiurma", "Erna",
            "Masniari", "Rosdiana", "Dewi", "Siti", "Fitri", "Rina"],
    },
    "aceh": {
        1: ["Teuku", "Muhammad", "Zulfikar", "Mukhtar", "Husaini", "Iskandar", "Razali", "Nurdin", "Fadhil",
            "Munawar", "Syahrizal", "Khairul", "Rizal", "Saiful"],
        2: ["Cut", "Nurul", "Rahmi", "Maulida", "Zahara", "Fitriani", "Nurhayati", "Humaira", "Mutia", "Zuraida",
            "Safrida", "Rosmiati", "Husna"],
    },
    "minang": {
        1: ["Syafri", "Efendi", "Yunus", "Rasyid", "Zulhendri", "Afrizal", "Yulianto", "Hendri", "Novrizal",
            "Fadli", "Yusrizal", "Andri", "Irwan"],
        2: ["Yusnita", "Rahmadani", "Novita", "Elvira", "Yulia", "Desfita", "Afrida", "Suryani", "Meliza",
            "Fitriyani", "Yelmi", "Nofriyanti", "Silvia"],
    },
    "papua": {
        1: ["Yohanes", "Markus", "Petrus", "Agustinus", "Fransiskus", "Yosep", "Daniel", "Kornelis", "Paulus",
            "Yakobus", "Simon", "Benediktus", "Alfons"],
        2: ["Maria", "Yuliana", "Agustina", "Fransiska", "Elisabeth", "Theresia", "Magdalena", "Yohana",
            "Regina", "Veronika", "Antonia"],
    },
}

_SECOND_NAMES: dict[str, dict[int, list[str]]] = {
    "umum": {
        1: ["Santoso", "Wibowo", "Prasetyo", "Setiawan", "Susanto", "Nugroho", "Hidayat", "Purnomo", "Kurniawan",
            "Saputra", "Utomo", "Wijaya", "Hartono", "Sutrisno", "Kusuma", "Purwanto", "Permana", "Haryanto",
            "Firmansyah", "Ramadhan", "Hakim", "Syahputra"],
        2: ["Rahayu", "Handayani", "Lestari", "Wulandari", "Pratiwi", "Susilowati", "Sulistyowati", "Puspitasari",
            "Anggraini", "Kusumawati", "Rahmawati", "Safitri", "Wahyuni", "Oktaviani", "Permatasari", "Maharani"],
    },
    "batak": {
        1: ["Siregar", "Nasution", "Lubis", "Harahap", "Simanjuntak", "Sitompul", "Hutapea", "Pardede", "Sinaga",
            "Tambunan", "Ginting", "Tarigan", "Sembiring", "Damanik", "Daulay", "Rangkuti", "Situmorang",
            "Manurung"],
    },
    "aceh": {
        1: ["Ibrahim", "Abdullah", "Ismail", "Yusuf", "Husaini", "Mukhtar", "Iskandar", "Hasballah", "Nurdin",
            "Razali", "Syahputra", "Daud"],
        2: ["Safitri", "Rahmi", "Maulida", "Zahara", "Fitriani", "Nurhayati", "Rahmawati", "Zuraida", "Yusra",
            "Marlina"],
    },
    "minang": {
        1: ["Tanjung", "Chaniago", "Piliang", "Koto", "Sikumbang", "Jambak", "Putra", "Syafri", "Rasyid",
            "Malik", "Datuak", "Amri"],
        2: ["Yusnita", "Rahmadani", "Novita", "Yulia", "Suryani", "Fitriyani", "Yanti", "Sari", "Hayati",
            "Wahyuni"],
    },
    "papua": {
        1: ["Gebze", "Mahuze", "Kaize", "Balagaize", "Ndiken", "Samkakai", "Wanggai", "Rumbiak", "Kogoya",
            "Wenda", "Mandowen", "Yoku", "Rumbewas", "Kambu"],
    },
}

_DEGREES: list[str] = ["", "", "", "S.Pd.", "S.E.", "S.Sos.", "S.Kom.", "S.H.", "S.Kep.", "A.Md.", "S.T.",
                      "S.AP.", "M.Si.", "S.Ak.", "S.K.M."]

# Share of each naming culture among civil servants of a province (others: "umum").
_REGION_CULTURES: dict[str, dict[str, float]] = {
    "Sumatera Utara": {"batak": 0.6, "umum": 0.4},
    "Aceh": {"aceh": 0.75, "umum": 0.25},
    "Sumatera Barat": {"minang": 0.75, "umum": 0.25},
    "Papua Selatan": {"papua": 0.5, "umum": 0.5},
    "Papua": {"papua": 0.6, "umum": 0.4},
}
