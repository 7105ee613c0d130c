# Reference output of psych::ICC for tests/test_reliability.py (icc()).
# Produced with: R 4.2.2, psych 2.2.9, jsonlite (Debian bookworm packages r-base-core, r-cran-psych).
# Regenerate: `make r-reference` (or `Rscript psych_icc.R` in this directory).
# Writes psych_icc_data.csv (long data: design, subject, rater, score) and psych_icc.csv
# (design, type, icc, F, df1, df2, p, lower, upper) and, for designs with missing cells, the
# one-way random-effects ANOVA with unequal group sizes (Searle, Casella & McCulloch 1992,
# eq. 3.26: k0 = (N - sum m_i^2 / N) / (n - 1)) computed with aov() as type "ICC1_unbalanced".
suppressMessages(library(psych))
set.seed(20261201)
designs <- list()
# Shrout & Fleiss (1979) Table 2: 6 targets x 4 judges (the psych::ICC manual example)
designs[["shrout_fleiss"]] <- matrix(c(9, 2, 5, 8, 6, 1, 3, 2, 8, 4, 6, 8, 7, 1, 2, 6, 10, 5, 6, 9, 6, 2, 4, 7),
                                     ncol = 4, byrow = TRUE)
# issue 10: perfect agreement (within-subject and error mean squares exactly 0)
designs[["perfect"]] <- matrix(rep(c(4, 4, 3, 3, 5), 3), ncol = 3)
# raters differ by constants only: error mean square 0, rater mean square > 0
designs[["additive"]] <- designs[["perfect"]] + matrix(rep(c(0, 1, 2), each = 5), ncol = 3)
for (k in 1:12) {
  n <- sample(5:30, 1); r <- sample(2:6, 1)
  true <- rnorm(n, 0, runif(1, 0.2, 2)); bias <- rnorm(r, 0, runif(1, 0, 1))
  x <- outer(true, bias, "+") + matrix(rnorm(n * r, 0, runif(1, 0.3, 1.5)), n, r)
  if (k %% 2 == 0) x <- pmin(pmax(round(x + 3), 1), 5)          # a 1-5 rating scale
  if (k %% 3 == 0) x[sample(n * r, max(1, floor(0.1 * n * r)))] <- NA   # missing cells
  designs[[sprintf("random_%02d", k)]] <- x
}
long <- do.call(rbind, lapply(names(designs), function(d) {
  x <- designs[[d]]
  data.frame(design = d, subject = rep(seq_len(nrow(x)), ncol(x)), rater = rep(seq_len(ncol(x)), each = nrow(x)),
             score = as.vector(x))
}))
long <- long[!is.na(long$score), ]
write.csv(long, "psych_icc_data.csv", row.names = FALSE)
res <- do.call(rbind, lapply(names(designs), function(d) {
  x <- designs[[d]]
  r <- suppressWarnings(ICC(na.omit(x), lmer = FALSE))$results   # complete subjects only
  out <- data.frame(design = d, type = r$type, icc = r$ICC, F = r$F, df1 = r$df1, df2 = r$df2, p = r$p,
                    lower = r[["lower bound"]], upper = r[["upper bound"]])
  if (anyNA(x)) {
    l <- long[long$design == d, ]
    a <- summary(aov(score ~ factor(subject), data = l))[[1]]
    msb <- a[1, "Mean Sq"]; msw <- a[2, "Mean Sq"]
    m <- table(l$subject); N <- sum(m); n <- length(m)
    k0 <- (N - sum(m^2) / N) / (n - 1)
    out <- rbind(out, data.frame(design = d, type = "ICC1_unbalanced", icc = (msb - msw) / (msb + (k0 - 1) * msw),
                                 F = msb / msw, df1 = a[1, "Df"], df2 = a[2, "Df"],
                                 p = pf(msb / msw, a[1, "Df"], a[2, "Df"], lower.tail = FALSE),
                                 lower = NA, upper = NA))
  }
  out
}))
write.csv(res, "psych_icc.csv", row.names = FALSE)
