# Reference output of lme4::lmer (REML) for tests/test_calibration.py (gstudy(method="reml")).
# Produced with: R 4.2.2, lme4 1.1-31 (Debian bookworm packages r-base-core, r-cran-lme4).
# Regenerate: `make r-reference` (or `Rscript lme4_gstudy.R` in this directory).
# Writes lme4_gstudy_data.csv (long data: design, subject, rater, item, score; item empty for
# two-facet designs) and lme4_gstudy.csv (design, effect, variance, loglik_reml, converged).
# Designs: the 15-subject example of issue 10, 30 random crossed subject x rater designs with
# missing cells (one rating per cell: y ~ (1|subject) + (1|rater)), 6 random crossed
# subject x rater x item designs with missing cells (every interaction but the highest,
# which is the residual), and 2 near-boundary designs (no rater variance).
suppressMessages(library(lme4))
set.seed(20261202)
designs <- list()
A00 <- c(2.2, 1.4, 1.8, 0.7, 2.2, 3.3, 1.3, 1.5, 2.7, 3.2, 0.4, 2.9, 3.2, 3.2, 2.5)
A01 <- c(1.7, 2.7, 1.4, 1.1, 2.4, 3.0, 0.5, 1.2, 0.6, 3.5, 0.3, 2.6, 3.5, 2.2, 3.4)
designs[["issue10_15subjects"]] <- data.frame(subject = sprintf("P%03d", rep(0:14, 2)),
                                              rater = rep(c("A00", "A01"), each = 15), item = NA,
                                              score = c(A00, A01))
two_facet <- function(n, r, s_sub, s_rat, s_e, miss) {
  d <- expand.grid(subject = sprintf("S%02d", 1:n), rater = sprintf("R%02d", 1:r), stringsAsFactors = FALSE)
  d$score <- rnorm(n, 3, s_sub)[match(d$subject, sprintf("S%02d", 1:n))] +
    rnorm(r, 0, s_rat)[match(d$rater, sprintf("R%02d", 1:r))] + rnorm(nrow(d), 0, s_e)
  d$item <- NA
  d[runif(nrow(d)) > miss, c("subject", "rater", "item", "score")]
}
for (k in 1:30) {
  designs[[sprintf("pxr_%02d", k)]] <- two_facet(sample(6:40, 1), sample(2:8, 1), runif(1, 0.1, 1.5),
                                                 runif(1, 0, 0.8), runif(1, 0.2, 1.2), runif(1, 0, 0.3))
}
designs[["pxr_boundary_1"]] <- two_facet(20, 4, 1, 0, 1, 0.1)
designs[["pxr_boundary_2"]] <- two_facet(12, 3, 0.3, 0, 1, 0.2)
for (k in 1:6) {
  n <- sample(8:20, 1); r <- sample(2:4, 1); i <- sample(2:4, 1)
  d <- expand.grid(subject = sprintf("S%02d", 1:n), rater = sprintf("R%02d", 1:r), item = sprintf("I%02d", 1:i),
                   stringsAsFactors = FALSE)
  sd <- runif(7, 0.05, 1)
  e <- function(f, s) rnorm(length(unique(f)), 0, s)[match(f, unique(f))]
  d$score <- 3 + e(d$subject, sd[1]) + e(d$rater, sd[2]) + e(d$item, sd[3]) +
    e(paste(d$subject, d$rater), sd[4]) + e(paste(d$subject, d$item), sd[5]) + e(paste(d$rater, d$item), sd[6]) +
    rnorm(nrow(d), 0, sd[7])
  designs[[sprintf("pxrxi_%02d", k)]] <- d[runif(nrow(d)) > 0.1, ]
}
long <- do.call(rbind, lapply(names(designs), function(nm) cbind(design = nm, designs[[nm]])))
write.csv(long, "lme4_gstudy_data.csv", row.names = FALSE, na = "")
res <- do.call(rbind, lapply(names(designs), function(nm) {
  d <- designs[[nm]]
  if (all(is.na(d$item))) {
    f <- score ~ 1 + (1 | subject) + (1 | rater)
    map <- c(subject = "subject", rater = "rater", Residual = "residual")
  } else {
    f <- score ~ 1 + (1 | subject) + (1 | rater) + (1 | item) + (1 | subject:rater) + (1 | subject:item) +
      (1 | rater:item)
    map <- c(subject = "subject", rater = "rater", item = "item", "subject:rater" = "subject:rater",
             "subject:item" = "subject:item", "rater:item" = "rater:item", Residual = "residual")
  }
  conv <- TRUE
  m <- withCallingHandlers(lmer(f, data = d, REML = TRUE),
                           warning = function(w) { conv <<- FALSE; invokeRestart("muffleWarning") })
  vc <- as.data.frame(VarCorr(m))
  data.frame(design = nm, effect = unname(map[vc$grp]), variance = vc$vcov,
             loglik_reml = as.numeric(logLik(m, REML = TRUE)), converged = conv)
}))
write.csv(res, "lme4_gstudy.csv", row.names = FALSE)
