"""Bahasa Indonesia: the texts of the reports, as an Indonesian civil servant reads them.

Terms follow PermenPANRB 6/2022 (predikat kinerja, ekspektasi, atasan langsung, rekan kerja,
pejabat penilai kinerja) and SE MenPANRB 3/2023 (pola distribusi predikat).
"""
from __future__ import annotations

MESSAGES: dict[str, str] = {
    # headings
    "report_title": "Laporan uji coba penilaian kinerja",
    "coverage": "Cakupan data",
    "consistency": "Konsistensi penilai",
    "calibration": "Kalibrasi penilai",
    "impact": "Dampak uji coba dibanding unit kontrol",
    "verdict": "Putusan",
    "briefing_title": "Ringkasan kebijakan: kesiapan unit uji coba",
    "verdict_per_unit": "Putusan per unit",
    "verdict_groups": "Unit menurut putusan",
    "pooled": "Efek uji coba gabungan (gelombang bertahap)",
    "balance": "Keseimbangan unit uji coba dan unit kontrol sebelum uji coba",
    "blockers": "Apa yang menahan unit yang belum siap",
    "actions": "Tindakan yang disarankan",
    "power": "Rencana gelombang berikutnya: kepekaan uji",
    "failures": "Unit yang gagal diproses",
    "calibration_moves": "Apa yang akan berubah jika penilaian dikalibrasi",
    "annex": "Lampiran: metode dan daftar istilah",
    "unit_annex": "Lampiran: catatan metode",
    "methods": "Metode",
    "glossary": "Daftar istilah",
    "todo": "Yang harus dilakukan unit ini",
    "not_computable": "Tidak dapat dihitung untuk unit ini: {why}",
    # verdict words
    "SIAP": "SIAP",
    "PERBAIKI DULU": "PERBAIKI DULU",
    "TUNDA": "TUNDA",
    "BELUM TERBUKTI": "BELUM TERBUKTI",
    "verdict_lead": "Putusan untuk {unit}: {label}.",
    "no_reasons": "Semua pemeriksaan terpenuhi.",
    "because": "Alasan:",
    "notes_head": "Catatan:",
    "failed": "gagal diproses",
    # table headings
    "unit": "Unit",
    "region": "Wilayah",
    "pilot_start": "Mulai uji coba",
    "n_subjects": "Pegawai dinilai",
    "n_raters": "Penilai",
    "n_ratings": "Penilaian",
    "raters_per_subject": "Penilai per pegawai (median)",
    "missing_share": "Penilaian 360° yang kosong",
    "agreement": "Reliabilitas (median butir)",
    "flagged": "Penilai yang ditandai",
    "flagged_share": "Porsi penilai ditandai",
    "effect": "Efek",
    "interval": "Interval 95%",
    "pvalue": "Nilai p",
    "pvalue_ri": "p acak",
    "pvalue_holm": "p Holm",
    "pvalue_pretrend": "p pra-tren",
    "status": "Status",
    "reason": "Alasan utama",
    "role": "Peran penilai",
    "item": "Butir",
    "value": "Nilai",
    "label": "Arti",
    "outcome": "Indikator hasil",
    "suppressed": "<{k}",
    "suppressed_secondary": "×",
    "suppressed_text": "kurang dari {k}",
    "error": "Keterangan",
    "worklist": "Bahan rapat kalibrasi (penilai, menurut prioritas)",
    "priority": "Prioritas",
    "issue": "Masalah",
    "evidence": "Bukti",
    "n_targets": "Pegawai × periode",
    "primary_effect": "Efek pada indikator utama (interval 95%)",
    "owner": "Siapa bertindak",
    "deadline": "Batas waktu",
    "page": "Halaman unit",
    "action": "Tindakan",
    "term": "Istilah",
    "meaning": "Arti",
    "n_moved": "Pegawai yang predikatnya berubah",
    "n_up": "Naik",
    "n_down": "Turun",
    "total": "Jumlah",
    "predikat": "Predikat",
    "period": "Periode",
    # rater roles (PermenPANRB 6/2022 and the 360° design)
    "role.atasan": "Atasan langsung",
    "role.rekan_kerja": "Rekan kerja",
    "role.bawahan": "Bawahan",
    "role.masyarakat": "Masyarakat pengguna layanan",
    "role.diri_sendiri": "Diri sendiri",
    # rater flags
    "flag.severe": "terlalu ketat",
    "flag.lenient": "terlalu longgar",
    "flag.central": "kecenderungan tengah",
    "flag.halo": "efek halo",
    "flag.ok": "wajar",
    # briefing: first page
    "meta.line": ("Periode penilaian: {ratings_period} · periode indikator hasil: {outcomes_period} · dibuat "
                  "{made} · evaltools {version} · kode proses {run_id}"),
    "summary.counts": ("Dari {n} unit uji coba, {n_siap} boleh dilanjutkan (SIAP), {n_fix} harus memperbaiki "
                       "penilaiannya dulu (PERBAIKI DULU), {n_hold} ditunda (TUNDA) dan {n_not_shown} belum "
                       "terbukti memberi manfaat (BELUM TERBUKTI)."),
    "summary.failed": "{n} unit gagal diproses dan belum dinilai; rinciannya ada di log proses.",
    "summary.fix": "Yang paling sering harus diperbaiki: {what}.",
    "summary.hold": "Ditunda karena: {what}.",
    "summary.none_held": "Tidak ada unit yang ditunda.",
    "summary.not_shown": ("{n_not_shown} unit belum menunjukkan manfaat yang jelas; pada {n_small} di antaranya "
                          "rancangan terlalu kecil untuk melihat efek sebesar yang dicari."),
    "summary.not_shown.ruled_out": ("{n_not_shown} unit belum menunjukkan manfaat yang jelas; pada {n_ruled} di "
                                    "antaranya hasilnya menutup kemungkinan manfaat yang dicari."),
    "summary.not_shown.both": ("{n_not_shown} unit belum menunjukkan manfaat yang jelas; pada {n_small} di antaranya "
                               "rancangan terlalu kecil untuk melihat efek sebesar yang dicari, dan pada {n_ruled} "
                               "hasilnya menutup kemungkinan manfaat itu."),
    "summary.effect": ("Secara keseluruhan, {outcome} {direction} {size} (interval 95% {ci_low} s.d. {ci_high}) "
                       "di unit uji coba dibanding unit kontrol{verdict}."),
    "summary.effect_none": "Efek gabungan uji coba belum dapat dihitung.",
    "summary.effect_sure": "; perubahan ini bermakna secara statistik",
    "summary.effect_unsure": "; perubahan ini belum dapat dibedakan dari nol",
    "summary.risk": "Risiko utama: {risk}.",
    "summary.risk_none": "Risiko utama: keputusan bertumpu pada sedikit unit kontrol, sehingga efek kecil sulit terlihat.",
    "summary.moves": ("Jika nilai dikoreksi untuk keketatan penilai, predikat {n} pegawai di {units} unit akan "
                      "berubah; ini bahan rapat kalibrasi, bukan penetapan predikat."),
    "direction.up": "naik",
    "direction.down": "turun",
    "direction.flat": "tidak berubah",
    # short names of reason codes (executive summary)
    "short.few_subjects": "terlalu sedikit pegawai dinilai",
    "short.agreement_poor": "reliabilitas penilaian sangat rendah",
    "short.agreement_low": "butir yang dinilai tidak konsisten",
    "short.few_raters": "terlalu sedikit penilai per pegawai",
    "short.missing_360": "penilaian 360° banyak yang kosong",
    "short.raters_flagged": "penilai terlalu ketat atau terlalu longgar",
    "short.predikat_pattern": "sebaran predikat menyimpang",
    "short.no_variation": "nilai tidak membedakan pegawai",
    "short.outcome_worse": "layanan memburuk",
    "short.harm": "layanan memburuk",
    "short.no_benefit": "manfaat belum terlihat",
    "short.benefit_not_shown": "manfaat belum terlihat",
    "short.too_small_to_see": "unit terlalu kecil untuk dinilai",
    "short.count": "{what} ({n} unit)",
    "risk.harm": "di {n} unit uji coba layanan memburuk setelah uji coba; perluasan tanpa perbaikan dapat menurunkan layanan",
    "risk.pretrend": "unit uji coba dan unit kontrol sudah bergerak berbeda sebelum uji coba (p pra-tren {p}), sehingga efek gabungan bisa bias",
    "flags.lenient": "{n} penilai rata-rata memberi nilai {points} poin di atas rekan (terlalu longgar)",
    "flags.severe": "{n} penilai rata-rata memberi nilai {points} poin di bawah rekan (terlalu ketat)",
    "flags.any": "{n} penilai ditandai",
    "chart.weakest_item": "Butir terlemah",
    "chart.raters": "Penilai per pegawai",
    "chart.flagged": "Ketat/longgar",
    "chart.missing": "360° kosong",
    "chart.rules": "Aturan putusan per unit: terpenuhi atau tidak",
    "chart.multiples": "Angka kunci dibanding batasnya (1 = tepat di batas)",
    "chart.by_region": "Jumlah unit per putusan dan wilayah",
    "overview.lead": "Tabel: putusan tiap unit dan alasan utamanya. Sel yang menggambarkan kurang dari {k} orang disembunyikan.",
    # verdict groups
    "group.TUNDA": "TUNDA: jangan diperluas dulu",
    "group.PERBAIKI DULU": "PERBAIKI DULU: perbaiki penilaian sebelum dilanjutkan",
    "group.BELUM TERBUKTI": "BELUM TERBUKTI: manfaat belum terlihat",
    "group.SIAP": "SIAP: boleh dilanjutkan ke gelombang berikutnya",
    "group.failed": "Gagal diproses",
    "groups.lead": ("Urutan: unit yang ditunda lebih dulu, lalu yang harus memperbaiki, yang manfaatnya belum "
                    "terbukti, dan yang siap. Sel yang menggambarkan kurang dari {k} orang disembunyikan."),
    "effect.cell": "{outcome}: {effect} ({ci_low} s.d. {ci_high})",
    "effect.none": "–",
    "reason.ready": "semua pemeriksaan terpenuhi",
    "reason.failed": "gagal diproses; lihat log proses",
    # who acts, by reason code (a study's [briefing.owners] table overrides)
    "owner.few_subjects": "Kepala OPD bersama BKPSDM",
    "owner.agreement_poor": "BKPSDM (pengelola instrumen)",
    "owner.agreement_low": "Tim Penilai Kinerja",
    "owner.few_raters": "Kepala OPD",
    "owner.missing_360": "Kepala OPD",
    "owner.raters_flagged": "Tim Penilai Kinerja",
    "owner.predikat_pattern": "Kepala OPD",
    "owner.no_variation": "Tim Penilai Kinerja",
    "owner.outcome_worse": "Kepala OPD dan BKPSDM",
    "owner.harm": "Kepala OPD dan BKPSDM",
    "owner.no_benefit": "BKPSDM (tim evaluasi)",
    "owner.benefit_not_shown": "BKPSDM (tim evaluasi)",
    "owner.too_small_to_see": "BKPSDM (tim evaluasi)",
    "owner.ready": "BKPSDM",
    "owner.default": "BKPSDM",
    "deadline.default": "sebelum gelombang berikutnya dimulai",
    "deadline.ready": "gelombang berikutnya",
    # what to do, by reason code
    "action.few_subjects": "Perluas cakupan uji coba atau tunggu periode berikutnya sebelum menilai unit ini.",
    "action.agreement_poor": "Tinjau ulang instrumen sebelum dipakai: reliabilitasnya terlalu rendah untuk keputusan kepegawaian.",
    "action.agreement_low": "Perjelas indikator perilaku pada butir yang lemah dan latih penilai dengan contoh kasus.",
    "action.few_raters": "Tambah penilai per pegawai (rekan kerja, bawahan) hingga jumlah yang dibutuhkan untuk reliabilitas {target:d2}.",
    "action.missing_360": "Lengkapi penilaian 360°: ingatkan penilai yang belum mengisi dan sederhanakan formulir.",
    "action.raters_flagged": ("Adakan pembinaan penilai dan rapat kalibrasi: bahas bahan rapat kalibrasi bersama "
                              "atasan para penilai sebelum predikat ditetapkan."),
    "action.predikat_pattern": "Tinjau sebaran predikat bersama pimpinan unit sesuai SE MenPANRB 3/2023.",
    "action.no_variation": ("Ulangi penilaian dengan patokan perilaku untuk setiap nilai dan rapat kalibrasi: "
                            "semua pegawai mendapat nilai yang sama, sehingga penilaian tidak membedakan siapa pun."),
    "action.outcome_worse": "Tunda perluasan di unit ini dan telusuri mengapa layanan memburuk.",
    "action.harm": "Tunda perluasan di unit ini dan telusuri mengapa layanan memburuk.",
    "action.no_benefit": "Lanjutkan pengamatan satu periode lagi atau perbesar cakupan sebelum memutuskan perluasan.",
    "action.no_benefit.ruled_out": ("Tinjau pelaksanaan uji coba di unit ini sebelum memperluasnya: hasilnya sudah "
                                    "menutup kemungkinan manfaat yang dicari, sehingga menambah periode pengamatan "
                                    "kecil kemungkinan menunjukkannya."),
    "action.no_benefit.one_control": ("Pertahankan sedikitnya dua unit sebanding di luar uji coba (unit kontrol) "
                                      "untuk periode setelah uji coba dimulai, agar efeknya dapat diuji."),
    "action.benefit_not_shown": "Lanjutkan pengamatan satu periode lagi atau perbesar cakupan sebelum memutuskan perluasan.",
    "action.too_small_to_see": "Gabungkan bukti dengan unit lain atau tambah periode pengamatan: unit ini terlalu kecil untuk melihat efeknya sendiri.",
    "action.ready": "Lanjutkan ke gelombang berikutnya; pertahankan rapat kalibrasi sebelum predikat ditetapkan.",
    "action.raters_plan": ("Rencanakan minimal {n} penilai per pegawai pada gelombang berikutnya (kebutuhan "
                           "terbesar unit uji coba untuk reliabilitas {target:d2})."),
    "action.proceed": "Lanjutkan ke gelombang berikutnya.",
    "blockers.none": "Tidak ada: semua unit siap.",
    "failures.none": "Semua unit berhasil diproses.",
    "failures.one": "Unit ini tidak dapat diproses; rincian teknis ada di log proses ({log}).",
    # verdict reasons (reason.<code>; parameters from the reason's fields)
    "reason.few_subjects": "hanya {value:d0} pegawai dinilai (minimal {threshold})",
    "reason.few_subjects.none": ("tidak ada pegawai unit ini yang dinilai: berkas penilaian tidak memuat penilaian "
                                 "untuk unit ini"),
    "reason.few_subjects.suppressed": "kurang dari {k} pegawai dinilai (minimal {threshold})",
    "reason.agreement_poor": "reliabilitas penilaian sangat rendah (median butir {value:d2}, batas {threshold:d2})",
    "reason.agreement_low": ("{n_items} butir dengan reliabilitas di bawah {threshold:d2} (terendah {value:d2}): "
                             "{items}"),
    "reason.agreement_outlying": ("butir {items} dinilai jauh kurang konsisten daripada butir lain ({value:d2}, "
                                  "median butir {median:d2})"),
    "reason.few_raters": "median {value:d0} penilai per pegawai (minimal {threshold})",
    "reason.missing_360": "{value:pct} penilaian 360° kosong (paling banyak {threshold:pct})",
    "reason.raters_flagged": "{n} penilai ({value:pct}) terlalu ketat atau terlalu longgar (paling banyak {threshold:pct})",
    "reason.raters_flagged.suppressed": "kurang dari {k} penilai terlalu ketat atau terlalu longgar",
    "reason.predikat_pattern": "sebaran predikat menyimpang dari pola SE MenPANRB 3/2023",
    "reason.no_variation": ("setiap butir dari {value:d0} butir mendapat satu nilai yang sama untuk semua pegawai: "
                            "penilaian tidak membedakan pegawai, sehingga reliabilitasnya tidak dapat diperiksa"),
    "reason.outcome_worse": "{outcome} memburuk setelah uji coba: efek {effect:d2}, nilai p {pval:p}",
    "reason.outcome_worse.ci": "{outcome} memburuk setelah uji coba: {effect:d2} (interval 95% {ci_low:d2} s.d. {ci_high:d2})",
    "reason.harm": "{outcome} memburuk setelah uji coba: {effect:d2} (interval 95% {ci_low:d2} s.d. {ci_high:d2})",
    "reason.no_benefit": "belum ada indikator utama yang menunjukkan manfaat",
    "reason.no_benefit.not_estimable": "dampak pada layanan publik belum dapat diestimasi: {why}",
    "reason.no_benefit.ruled_out": ("belum ada indikator utama yang menunjukkan manfaat yang dicari: manfaat itu "
                                    "berada di luar interval 95% {outcomes}"),
    "reason.no_benefit.pretrend": ("belum ada indikator utama yang menunjukkan manfaat: {outcomes} sudah bergerak "
                                   "ke arah itu sebelum uji coba, lebih cepat daripada unit kontrol"),
    "impact.no_data": "tabel indikator kinerja unit (outcomes) tidak memuat data unit ini",
    "impact.not_yet_window": ("Diukur pada {k:d0} periode pertama uji coba, {start} s.d. {end}, terhadap {n:d0} unit "
                              "yang belum memulai uji coba saat itu: tidak ada unit yang cukup lama di luar uji "
                              "coba untuk membandingkan periode sesudahnya."),
    "impact.pretrend": ("{outcome}: unit ini sudah bergerak ke arah itu sebelum uji coba, {slope:d2} per "
                        "periode terhadap unit kontrol (p {p:p}); tanpa tren masing-masing unit perubahannya "
                        "{adjusted:d2} (interval 95% {lo:d2} s.d. {hi:d2}), sehingga manfaatnya tidak dihitung."),
    "reason.benefit_not_shown": "belum ada indikator utama yang menunjukkan manfaat",
    "reason.too_small_to_see": "unit terlalu kecil untuk melihat efek sebesar yang dicari (efek terkecil yang dapat dilihat {mde:d2})",
    # level words of a reason
    "level.TUNDA": "TUNDA",
    "level.PERBAIKI DULU": "PERBAIKI DULU",
    "level.BELUM TERBUKTI": "BELUM TERBUKTI",
    # unit sections
    "why.few_raters": "kurang dari dua penilai",
    "why.one_subject": "hanya satu pegawai dinilai",
    "why.few_subjects": "kurang dari dua pegawai dinilai",
    "why.no_numeric": "tidak ada penilaian butir 360°",
    "why.one_control": ("hanya satu unit kontrol yang tersisa untuk periode setelah uji coba, sedangkan uji "
                        "memerlukan sedikitnya dua"),
    "why.no_interval": "ketidakpastian efeknya tidak dapat diestimasi dari data ini",
    "why.data": "data unit ini tidak mencukupi untuk perhitungan ini (rincian teknis di log proses)",
    "why.no_units": "kurang dari 4 unit tersisa untuk gelombang berikutnya",
    "header.lead": "{study} · Wilayah: {region} · Mulai uji coba: {start}",
    "coverage.lead": ("{n_subjects} pegawai dinilai oleh {n_raters} penilai ({n_ratings} penilaian dalam "
                      "{n_periods} periode); rata-rata (median) tiap pegawai dinilai {rps:d0} penilai per periode, "
                      "dan {missing:pct} penilaian butir 360° kosong (butir yang dilewati penilai di antara butir "
                      "yang menjadi bagian perannya)."),
    "consistency.lead": ("Reliabilitas skor 360° (median butir, {coef}) adalah {median:d2}; {n_below} dari "
                         "{n_items} butir di bawah batas {threshold:d2}."),
    "consistency.lead.no_variation": ("Setiap butir dari {n_items} butir mendapat satu nilai yang sama untuk semua "
                                      "pegawai: tidak ada perbedaan antarpegawai yang reliabilitasnya dapat diukur, "
                                      "dan penilaian tidak membedakan siapa pun."),
    "calibration.lead": ("{n_sev} dari {n_assess} penilai yang memberi sedikitnya {min_ratings} penilaian "
                         "({share:pct}) menilai lebih dari {severity:d1} poin berbeda dari penilai lain untuk "
                         "pegawai yang sama (terlalu ketat atau terlalu longgar); {n_other} lainnya menunjukkan "
                         "kecenderungan tengah atau efek halo."),
    "calibration.caterpillar": "Penilai dengan sedikitnya {min_ratings} penilaian; merah = ditandai",
    "calibration.raters_needed": "Penilai yang dibutuhkan per pegawai untuk reliabilitas {target:d2}: {n}.",
    "calibration.raters_needed.none": ("Tidak ada jumlah penilai per pegawai yang mencapai reliabilitas {target:d2} "
                                       "di sini: nilai antarpegawai hampir tidak berbeda, atau galat butir membatasinya."),
    "calibration.moves": ("Jika nilai periode {period} dikoreksi untuk keketatan atau kelonggaran penilai, "
                          "predikat {n_moved} dari {n_rated} pegawai akan berubah ({n_up} naik, {n_down} turun). "
                          "Ini perkiraan untuk bahan rapat kalibrasi, bukan penetapan predikat."),
    "calibration.moves_none": ("Jika nilai periode {period} dikoreksi untuk keketatan atau kelonggaran penilai, "
                               "tidak ada predikat dari {n_rated} pegawai yang berubah."),
    "calibration.moves_suppressed": ("Jika nilai periode {period} dikoreksi untuk keketatan atau kelonggaran "
                                     "penilai, predikat kurang dari {k} pegawai akan berubah. Ini perkiraan untuk "
                                     "bahan rapat kalibrasi, bukan penetapan predikat."),
    "calibration.predikat_table": "Predikat periode {period} (predikat kinerja organisasi: {org})",
    "calibration.evidence": ("{rule}; keketatan {severity:d2} poin (galat baku {se:d2}), sebaran nilai {sd_ratio:d2} × "
                             "sebaran rekan, indeks halo {halo:d2}; {n_ratings} penilaian atas {n_subjects} pegawai"),
    "calibration.rule.severe": "lebih ketat dari rekan",
    "calibration.rule.lenient": "lebih longgar dari rekan",
    "calibration.rule.central": "nilai mengumpul di tengah",
    "calibration.rule.halo": "semua butir dinilai sama",
    "moves.lead": ("Perkiraan berapa pegawai yang predikatnya akan berubah jika nilai dikoreksi untuk keketatan "
                   "penilai (periode terakhir). Predikat menentukan tunjangan kinerja dan karier: inilah yang "
                   "dipertaruhkan oleh kalibrasi. Jumlah di bawah {k} disembunyikan (<{k}); × menandai angka yang "
                   "ikut disembunyikan agar angka kecil tidak dapat dihitung ulang dari jumlahnya."),
    "moves.none": "Tidak ada unit dengan data kalibrasi.",
    # annex
    "methods.text": ("Reliabilitas: ICC(1,k) per butir (Shrout & Fleiss 1979), skor rata-rata beberapa penilai. "
                     "Keketatan penilai: selisih nilai seorang penilai dari penilai lain untuk pegawai dan butir "
                     "yang sama, dibandingkan dengan penilai dalam peran yang sama; seorang penilai baru disebut "
                     "terlalu ketat atau terlalu longgar bila paling sedikit 80% yakin berada di luar batas "
                     "toleransi (galat bakunya diperiksa pada dua paruh pegawai). Dampak: perubahan unit uji coba "
                     "dari sebelum ke sesudah dikurangi rata-rata perubahan unit kontrol (selisih dari selisih), "
                     "diuji terhadap sebaran perubahan unit kontrol sendiri; kontrol sintetis ditampilkan di "
                     "sampingnya. Efek gabungan: Callaway & Sant'Anna (2021) untuk gelombang bertahap."),
    "term.ICC": "ICC (koefisien korelasi intrakelas)",
    "def.ICC": "ukuran reliabilitas: seberapa besar perbedaan skor mencerminkan perbedaan pegawai, bukan penilai (0 sampai 1; 0,80 ke atas baik)",
    "term.alpha": "alpha Krippendorff",
    "def.alpha": "ukuran kesepakatan antarpenilai yang tahan terhadap penilaian kosong (0 sampai 1)",
    "term.p": "nilai p",
    "def.p": "peluang melihat perbedaan sebesar ini bila uji coba sebenarnya tidak berpengaruh; makin kecil, makin kuat buktinya",
    "term.interval": "interval 95%",
    "def.interval": "rentang nilai yang sejalan dengan data; bila tidak mencakup nol, efeknya terbukti pada taraf 5%",
    "term.DiD": "DiD (selisih dari selisih)",
    "def.DiD": "perubahan di unit uji coba dikurangi perubahan di unit kontrol pada periode yang sama",
    "term.MDE": "efek terkecil yang dapat dideteksi",
    "def.MDE": "efek terkecil yang dapat dilihat rancangan ini dengan peluang 80%; efek yang lebih kecil bisa ada tanpa terlihat",
    "term.EB": "perkiraan gabungan (empiris Bayes)",
    "def.EB": "efek satu unit yang ditarik ke arah rata-rata semua unit uji coba, sesuai ketidakpastiannya",
    "term.RMSPE": "RMSPE",
    "def.RMSPE": "besarnya selisih unit dengan kontrol sintetisnya sebelum uji coba; makin kecil, makin cocok pembandingnya",
    "term.synthetic": "kontrol sintetis",
    "def.synthetic": "gabungan berbobot unit kontrol yang sebelum uji coba bergerak paling mirip dengan unit uji coba",
    "term.severity": "keketatan penilai",
    "def.severity": "seberapa jauh seorang penilai memberi nilai di bawah (ketat) atau di atas (longgar) penilai lain untuk pegawai yang sama",
    "term.halo": "efek halo",
    "def.halo": "penilai memberi nilai yang sama pada semua butir, sehingga butir tidak dibedakan",
    "term.central": "kecenderungan tengah",
    "def.central": "penilai menghindari nilai rendah dan tinggi, sehingga pegawai sulit dibedakan",
    "term.power": "kepekaan uji (daya uji)",
    "def.power": "peluang rancangan menemukan efek yang benar-benar ada",
    "term.control": "unit kontrol",
    "def.control": "unit yang belum menjalankan uji coba, dipakai sebagai pembanding",
    # library notes (note.<code>): the statistics' notes by code (evaltools._notes); method
    # details of the page's annex, written for the BKD analyst who reads the evidence
    "note.few_subjects": "kurang dari dua pegawai dinilai",
    "note.few_subjects_crossed": ("kurang dari dua pegawai dinilai oleh semua penilai (para penilai tidak menilai "
                                  "pegawai yang sama)"),
    "note.few_raters": "kurang dari dua penilai",
    "note.one_subject": "hanya satu pegawai: galat baku tidak dapat dihitung",
    "note.no_pair": "tidak ada pegawai yang dinilai oleh dua penilai atau lebih",
    "note.no_pair_both": "tidak ada pegawai yang dinilai oleh kedua penilai",
    "note.cohen_one_rater": "kappa Cohen memerlukan dua penilai; hanya ada satu",
    "note.cohen_single": "{n} pegawai yang hanya dinilai oleh satu penilai tidak diikutkan",
    "note.missing_scores": "{n} baris tanpa nilai diabaikan",
    "note.no_variance": "tidak ada variasi nilai: semua nilai sama",
    "note.no_disagreement": "tidak ada variasi nilai: semua nilai sama",
    "note.same_category": "tidak ada variasi nilai: semua penilaian jatuh pada kategori yang sama",
    "note.one_category": "tidak ada variasi nilai: hanya satu kategori (sebutkan seluruh kategori skala)",
    "note.many_values": "{n} nilai berbeda: koefisien kategorik memerlukan skala berkategori",
    "note.conger_nested": ("tiap penilai menilai kurang dari dua pegawai (penilai melekat pada pegawai): peluang "
                           "kesepakatan per penilai (kappa Conger) tidak dapat diperkirakan; lihat kappa Fleiss"),
    "note.conger_few": ("tiap penilai menilai kurang dari dua pegawai: peluang kesepakatan per penilai kurang tepat "
                        "diperkirakan"),
    "note.fnl_weighted": "uji nol Fleiss-Nee-Landis hanya untuk kappa tanpa bobot; nilai p dari uji t Gwet",
    "note.fnl_unequal": ("uji nol Fleiss-Nee-Landis memerlukan jumlah penilai yang sama untuk tiap pegawai; nilai p "
                         "dari uji t Gwet"),
    "note.hayes_by": "bootstrap Hayes per kelompok memerlukan paling banyak {n} nilai berbeda",
    "note.icc_one_rater": ("setiap pegawai dinilai oleh satu penilai saja dalam peran ini ({n} pegawai), sehingga "
                           "kesepakatan antarpenilai tidak dapat dihitung"),
    "note.icc_oneway": "ICC satu arah memakai seluruh {n} pegawai ({m} penilaian per pegawai)",
    "note.icc_unbalanced": ("ICC satu arah memakai seluruh {n} pegawai dengan jumlah penilaian yang tidak sama "
                            "({lo} sampai {hi}; k0 = {k0:d2})"),
    "note.icc_not_crossed": ("ICC dua arah memerlukan pegawai yang dinilai oleh semua {k} penilai; hanya {n} dari "
                             "{n_all} pegawai (para penilai tidak menilai pegawai yang sama)"),
    "note.icc_complete": ("ICC dua arah memakai {n} dari {n_all} pegawai yang dinilai oleh semua {k} penilai "
                          "({dropped} tidak diikutkan)"),
    "note.icc_within_zero": ("semua penilai memberi nilai yang sama kepada tiap pegawai: F tak hingga, p = 0, "
                             "interval (1, 1)"),
    "note.icc_error_zero": "penilai hanya berbeda sebesar suatu konstanta: F tak hingga, p = 0, interval ICC3 (1, 1)",
    "note.kendall_incomplete": "{k} dari {n} pegawai yang tidak dinilai oleh semua penilai tidak diikutkan",
    "note.dist_max": "penyimpangan: {group}: {k} dari {n} ({share:pct}), paling banyak {need} ({need_share:pct})",
    "note.dist_min": "penyimpangan: {group}: {k} dari {n} ({share:pct}), diharapkan minimal {need} ({need_share:pct})",
    "note.dist_min_count": "penyimpangan: {group}: {k} dari {n}, diharapkan minimal {need}",
    "note.dist_largest": "penyimpangan: {group}: {k} dari {n}, seharusnya kelompok terbesar (kelompok lain terbesar: {other})",
    "note.rule_max": "{group}: {k} dari {n} ({share:pct}), paling banyak {need} ({need_share:pct})",
    "note.rule_min": "{group}: {k} dari {n} ({share:pct}), diharapkan minimal {need} ({need_share:pct})",
    "note.rule_min_count": "{group}: {k} dari {n}, diharapkan minimal {need}",
    "note.rule_largest": "{group}: {k} dari {n}, seharusnya kelompok terbesar (kelompok lain terbesar: {other})",
    "note.small_unit": "unit kecil ({n} pegawai, kurang dari {min_n}): pola ini hanya panduan",
    "note.no_predikat": "tidak ada data predikat",
    "note.gof_exact": "uji multinomial eksak",
    "note.gof_chi2": "uji khi-kuadrat Pearson {stat:d3} dengan {df} derajat bebas",
    "note.gof_small_expected": "sebagian frekuensi harapan di bawah 5",
    "note.gof_zero_share": "ada predikat yang porsi acuannya 0",
    "note.gt_singular": "persamaan momen singular: dipakai penyelesaian kuadrat terkecil",
    "note.gt_not_converged": "optimasi REML tidak konvergen: komponen yang dilaporkan bukan titik optimum",
    "note.gt_not_finite": "deviansi REML tidak terhingga: komponen tidak dapat diperkirakan",
    "note.gt_nested": "termasuk {effects} (rancangan tersarang)",
    "note.gt_confounded": "interaksi {effect} bercampur dengan galat (satu penilaian per sel)",
    "note.gt_negative": "perkiraan negatif dijadikan 0",
    "note.few_controls": "kurang dari dua unit kontrol: uji tidak dapat dilakukan",
    "note.missing_changes": "nilai perubahan tidak lengkap: uji tidak dapat dilakukan",
    "note.controls_constant": "perubahan di unit kontrol tidak bervariasi: uji tidak dapat dihitung",
    "note.size_extrapolated": ("ukuran unit uji coba di luar rentang ukuran unit kontrol: variansnya hasil "
                               "ekstrapolasi"),
    "note.size_no_variance": "ukuran unit membuat salah satu unit kontrol tanpa varians",
    "note.treated_first": "uji coba dimulai sejak periode pertama: tidak ada periode sebelum uji coba",
    "note.no_pre_period": ("unit {unit} menjalankan uji coba sejak periode pertama ({period}): tidak ada periode "
                           "sebelum uji coba untuk dicocokkan"),
    "note.no_donors": "tidak ada unit kontrol (yang belum atau tidak menjalankan uji coba) untuk periode setelah uji coba",
    "note.donors_missing": "{n} unit kontrol tidak diikutkan karena data {outcome} tidak lengkap",
    "note.unit_missing": "unit {unit} tidak memiliki data {outcome} pada {n} periode",
    "note.no_pre_outcome": "unit {unit} tidak memiliki data {outcome} sebelum uji coba",
    "note.no_post_outcome": "unit {unit} tidak memiliki data {outcome} setelah uji coba",
    "note.constant_outcome": "{outcome} tidak pernah berubah: efek tidak dapat diperkirakan",
    "note.constant_predictors": "variabel pencocok yang konstan diabaikan: {names}",
    "note.poor_prefit": ("kecocokan sebelum uji coba lemah (RMSPE {rmspe:d3} lebih dari {factor:d1} × simpangan baku "
                         "{outcome} sebelum uji coba, {sd:d3}): unit mungkin di luar jangkauan unit kontrol, baca "
                         "perkiraan kontrol sintetis dengan hati-hati"),
    "note.one_pre_period": "hanya satu periode sebelum uji coba: kecocokan sebelum uji coba tidak dapat dinilai",
    "note.one_donor": "hanya satu unit kontrol: tanpa uji plasebo, sehingga tanpa nilai p dan interval",
    "note.exact_fit": ("{k} dari {n} unit plasebo cocok sempurna sebelum uji coba (banyak pembanding, sedikit "
                       "periode): nilai p rasio RMSPE kurang peka; bandingkan dengan interval plasebo dan DiD"),
    "note.few_donors": "hanya {n} unit kontrol pembanding: nilai p terkecil yang mungkin {pmin:d3}, di atas batas {alpha:d2}",
    "note.placebo_interval": ("kurang dari {n} pembanding: interval plasebo selebar rentang pembanding dan "
                              "cakupannya di bawah {level:pct}"),
    "note.rmspe_zero": "RMSPE sebelum dan sesudah uji coba sama-sama nol: rasio RMSPE tidak terdefinisi",
    # calibration: rater effects
    "note.rater_var_zero": "varians antarpenilai diperkirakan 0: keketatan setiap penilai menyusut ke 0",
    "note.few_ratings": "kurang dari {n} penilaian: tidak ditandai",
    "note.lone_role_rater": ("satu-satunya penilai berperan {role} bagi pegawai ini: keketatannya tidak dapat dipisahkan dari "
                             "geseran perannya"),
    "note.no_comparison_rater": "tidak ada penilai lain yang menilai pegawai ini: keketatan tidak terdefinisi",
    "note.component_relative": "keketatan dibandingkan dalam kelompok penilai {c}",
    "note.crossed_pinv": "persamaan normal tidak berpangkat penuh: dipakai invers semu",
    "note.crossed_sparse": "penyelesaian renggang (satu kelompok berisi {n} penilai): galat baku tidak dihitung",
    "note.latent_not_converged": "model laten: EM tidak konvergen dalam {n} langkah",
    "note.reference_not_settled": ("penilai acuan tidak stabil dalam {n} langkah: keketatan dibandingkan dengan acuan "
                                   "terakhir"),
    "note.cell_reference": "periode acuan",
    "note.cell_no_never": "tidak ada unit kontrol pembanding",
    "note.cell_no_comparison": "tidak ada unit kontrol atau unit yang belum memulai uji coba untuk periode ini",
    # pilot: difference-in-differences
    "note.did_no_outcome": "tidak ada pengamatan dengan nilai indikator",
    "note.did_no_pre": "tidak ada periode sebelum uji coba: selisih-dalam-selisih tidak terdefinisi",
    "note.did_no_post": "tidak ada periode setelah uji coba: selisih-dalam-selisih tidak terdefinisi",
    "note.did_no_treated": "tidak ada unit uji coba: selisih-dalam-selisih tidak terdefinisi",
    "note.did_no_controls": ("tidak ada unit kontrol (semua unit menjalankan uji coba): selisih-dalam-selisih tidak "
                             "terdefinisi"),
    "note.did_constant": "{outcome} tidak pernah berubah: selisih-dalam-selisih tidak terdefinisi",
    "note.did_collinear": ("uji coba × periode sesudah berimpit dengan efek tetap: selisih-dalam-selisih tidak "
                           "teridentifikasi"),
    "note.did_few_clusters": "kurang dari 2 klaster: tanpa inferensi tangguh-klaster",
    "note.did_one_side": "{n} unit hanya teramati sebelum atau hanya sesudah uji coba: hanya dipakai untuk efek periode",
    "note.did_cross_sections": ("tidak ada unit yang teramati sebelum dan sesudah uji coba: dipakai penanda kelompok uji coba, "
                                "bukan efek tetap unit"),
    "note.did_unbalanced": ("panel tidak seimbang ({k} dari {n} unit tanpa sebagian periode): koefisien bukan selisih "
                            "sederhana perubahan rata-rata"),
    "note.did_single_treated": ("hanya satu unit uji coba: inferensi tangguh-klaster dan bootstrap liar bertumpu pada satu "
                                "klaster dan tidak dapat diandalkan (MacKinnon & Webb 2017)"),
    "note.did_cr1": "uji utama: uji t CR1 tangguh-klaster dengan {df} derajat bebas ({g} klaster)",
    "note.did_ri_exact": "nilai p dan interval utama: inferensi acak (seluruh {n} penempatan dihitung); nilai p CR1 {p:p}",
    "note.did_ri_sampled": "nilai p dan interval utama: inferensi acak ({n} penempatan acak); nilai p CR1 {p:p}",
    "note.did_wild_all_asked": ("nilai p dan interval utama: bootstrap-t klaster liar (WCR, dengan hipotesis nol, seluruh {n} "
                                "vektor tanda {weights}; atas permintaan); nilai p CR1 tangguh-klaster {p:p}, interval {lo:d3} – "
                                "{hi:d3}"),
    "note.did_wild_all_few": ("nilai p dan interval utama: bootstrap-t klaster liar (WCR, dengan hipotesis nol, seluruh {n} "
                              "vektor tanda {weights}; {g} klaster, kurang dari {few}); nilai p CR1 tangguh-klaster {p:p}, "
                              "interval {lo:d3} – {hi:d3}"),
    "note.did_wild_draws_asked": ("nilai p dan interval utama: bootstrap-t klaster liar (WCR, dengan hipotesis nol, {n} tarikan "
                                  "{weights}; atas permintaan); nilai p CR1 tangguh-klaster {p:p}, interval {lo:d3} – {hi:d3}"),
    "note.did_wild_draws_few": ("nilai p dan interval utama: bootstrap-t klaster liar (WCR, dengan hipotesis nol, {n} tarikan "
                                "{weights}; {g} klaster, kurang dari {few}); nilai p CR1 tangguh-klaster {p:p}, interval {lo:d3} "
                                "– {hi:d3}"),
    "note.did_rademacher_few": ("dengan {g} klaster nilai p Rademacher hanya dapat mengambil sedikit nilai; di bawah sekitar 12 "
                                "klaster dianjurkan bobot Webb (Webb 2014)"),
    "note.did_ci_unbounded": "interval bootstrap tidak terbatas: klaster terlalu sedikit untuk tingkat kepercayaan ini",
    # pilot: staggered adoption (Callaway & Sant'Anna)
    "note.late_treated": "{n} unit yang baru memulai uji coba setelah periode terakhir dihitung sebagai unit kontrol",
    "note.first_treated_dropped": ("{n} unit yang sudah menjalankan uji coba sejak periode pertama tidak diikutkan (tanpa periode "
                                   "sebelum uji coba)"),
    "note.no_comparison_group": ("tidak ada kelompok pembanding: tidak ada unit kontrol, dan satu-satunya gelombang dengan "
                                 "periode sebelum uji coba ({wave}) diperlukan sebagai pembanding"),
    "note.first_no_pre": "{n} unit yang menjalankan uji coba sejak periode pertama tidak memiliki periode sebelum uji coba",
    "note.att_undefined": "semua efek per gelombang dan periode tidak terdefinisi",
    "note.staggered_constant": "{outcome} tidak pernah berubah: semua efek 0 dan galat bakunya tidak terdefinisi",
    "note.unbalanced_dropped": ("{k} dari {n} unit tanpa data indikator lengkap pada seluruh {t} periode tidak diikutkan (perlu "
                                "panel seimbang)"),
    "note.unbalanced_dropped_cov": ("{k} dari {n} unit tanpa data indikator dan kovariat lengkap pada seluruh {t} periode tidak "
                                    "diikutkan (perlu panel seimbang)"),
    "note.last_wave_never": ("tidak ada unit kontrol: gelombang terakhir ({wave}) menjadi pembanding dan periode sejak "
                             "gelombang itu dimulai tidak diikutkan"),
    "note.last_wave_notyet": ("tidak ada unit kontrol: gelombang terakhir ({wave}) hanya menjadi pembanding selama belum "
                              "memulai uji coba, dan periode sejak gelombang itu dimulai tidak diikutkan"),
    "note.small_groups": "kelompok {groups} berisi kurang dari {n} unit (batas paket R did): perkiraan bisa tidak stabil",
    "note.single_unit_groups": ("kelompok {groups} hanya berisi satu unit: efeknya bertumpu pada satu unit dan galat bakunya "
                                "tidak dapat diandalkan"),
    "note.simultaneous_cv": "nilai kritis simultan tidak terhingga: dilaporkan pita per titik",
    "note.pretrend_none": "tidak ada efek sebelum uji coba yang dapat diuji",
    "note.pretrend_singular": "kovarians efek sebelum uji coba singular: uji pra-tren tidak dapat dihitung",
    "note.wald_negative": "statistik Wald negatif",
    "note.ri_undefined": "efek gabungan yang teramati tidak terdefinisi",
    "note.ri_exact": "seluruh penempatan uji coba dihitung",
    "note.ri_random": "{n} penempatan acak",
    "note.ri_left_out": "{n} penempatan dengan efek tak terdefinisi tidak diikutkan",
    # pilot: pooling and power
    "note.reml_not_converged": "REML tidak konvergen: tau² adalah iterasi terakhir",
    "note.pool_none": "tidak ada unit dengan perkiraan",
    "note.pool_one": "hanya satu unit: tidak ada yang digabung",
    "note.power_allocation": "pembagian unit tidak menyisakan unit uji coba atau unit kontrol",
    "note.power_empty_waves": "unit lebih sedikit daripada tahap: sebagian gelombang kosong",
    "note.power_no_df": "tidak ada derajat bebas tersisa untuk uji t",
}
