# Reference values for analysis/interrater.py and analysis/calibration.py.
#
# Run from the repository root:
#     Rscript tests/analysis/reference/calibration.R
# It reads tests/analysis/reference/data/calibration_long.csv (simulated judgements of 16 lead
# profiles by 30 sales and 25 marketing raters, one row per judgement) and fleiss1971.csv, and
# writes tests/analysis/reference/calibration.json (full precision).
#
# Sources: base R (lm, t.test, and Krippendorff's alpha and Fleiss' kappa written out here from
# their published formulas, since no CRAN package for them is installed), sandwich (vcovCL, the
# cluster-robust covariance with the HC1 small-sample factor, which is CR1).

suppressPackageStartupMessages({
  library(sandwich)
  library(jsonlite)
})

here <- "tests/analysis/reference"
long <- read.csv(file.path(here, "data", "calibration_long.csv"), stringsAsFactors = FALSE)

# ---- Krippendorff's alpha from the coincidence matrix (Krippendorff 2011) ---------------------
kalpha <- function(units, values, level) {
  codes <- sort(unique(values))
  o <- matrix(0, length(codes), length(codes))
  for (u in unique(units)) {
    x <- values[units == u]
    m <- length(x)
    if (m < 2) next
    counts <- table(factor(x, levels = codes))
    pairs <- outer(as.numeric(counts), as.numeric(counts))
    diag(pairs) <- diag(pairs) - as.numeric(counts)
    o <- o + pairs / (m - 1)
  }
  n_c <- rowSums(o)
  n <- sum(n_c)
  k <- length(codes)
  delta <- matrix(0, k, k)
  for (i in seq_len(k)) for (j in seq_len(k)) {
    delta[i, j] <- switch(level,
      nominal = as.numeric(i != j),
      interval = (codes[i] - codes[j])^2,
      ordinal = (sum(n_c[min(i, j):max(i, j)]) - (n_c[i] + n_c[j]) / 2)^2
    )
  }
  1 - (n - 1) * sum(o * delta) / sum(outer(n_c, n_c) * delta)
}

# ---- Fleiss' kappa (Fleiss 1971) ----------------------------------------------------------------
fkappa <- function(counts) {
  n <- rowSums(counts)[1]
  p_i <- (rowSums(counts^2) - n) / (n * (n - 1))
  p_j <- colSums(counts) / sum(counts)
  (mean(p_i) - sum(p_j^2)) / (1 - sum(p_j^2))
}
fleiss1971 <- as.matrix(read.csv(file.path(here, "data", "fleiss1971.csv")))

# ---- policy capturing: OLS with respondent-clustered CR1 covariance ------------------------------
attributes <- c("fit", "role", "budget", "timing", "engagement", "source")
first <- c(fit = "target", role = "decision_maker", budget = "confirmed", timing = "this_quarter",
           engagement = "demo", source = "inbound")
pair <- long[long$"function" %in% c("sales", "marketing"), ]
x <- sapply(attributes, function(a) ifelse(pair[[a]] == first[[a]], 1, -1))
marketing <- as.numeric(pair$"function" == "marketing")
fit <- lm(pair$judgement ~ x + marketing + marketing:x)
vcov_cr1 <- vcovCL(fit, cluster = pair$respondent, type = "HC1")
se <- sqrt(diag(vcov_cr1))

# ---- Welch's test per vignette ------------------------------------------------------------------
welch <- lapply(sort(unique(pair$vignette)), function(v) {
  a <- pair$judgement[pair$vignette == v & pair$"function" == "sales"]
  b <- pair$judgement[pair$vignette == v & pair$"function" == "marketing"]
  if (length(unique(a)) < 2 || length(unique(b)) < 2) return(NULL)
  t <- t.test(a, b, var.equal = FALSE, conf.level = 0.95)
  list(vignette = v, difference = unname(t$estimate[1] - t$estimate[2]), low = t$conf.int[1],
       high = t$conf.int[2], p = t$p.value)
})
welch <- Filter(Negate(is.null), welch)

everyone <- long
result <- list(
  alpha = list(
    nominal = kalpha(everyone$vignette, everyone$judgement, "nominal"),
    ordinal = kalpha(everyone$vignette, everyone$judgement, "ordinal"),
    interval = kalpha(everyone$vignette, everyone$judgement, "interval")
  ),
  fleiss1971 = fkappa(fleiss1971),
  policy = list(
    terms = names(coef(fit)),
    coefficients = unname(coef(fit)),
    se = unname(se),
    clusters = length(unique(pair$respondent))
  ),
  welch = welch
)
writeLines(toJSON(result, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(here, "calibration.json"))
