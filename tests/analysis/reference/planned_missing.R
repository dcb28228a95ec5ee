# Reference values for alpha under a planned-missing design: every respondent answered 2
# randomly chosen items of a 6-item scale (m1-m6) and 2 of a 4-item scale (a1-a4), so no
# respondent answered every item and each pair of items was answered together by about
# 1/15 (m) or 1/6 (a) of them. tests/analysis/reference/data/planned_missing.csv holds the
# answers (made by a one-factor simulation; NA = not asked).
#
# Run from the repository root:
#     Rscript tests/analysis/reference/planned_missing.R
# and it writes tests/analysis/reference/planned_missing.json (full precision, digits = NA).
# Packages: psych (2.2.9), jsonlite.

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

here <- "tests/analysis/reference"
answers <- read.csv(file.path(here, "data", "planned_missing.csv"))

reference <- list()
for (scale in c("m", "a")) {
  items <- answers[, grepl(paste0("^", scale), names(answers))]
  on_raw <- psych::alpha(items, warnings = FALSE)
  covariances <- cov(items, use = "pairwise.complete.obs")
  correlations <- cor(items, use = "pairwise.complete.obs")
  on_cov <- psych::alpha(covariances, n.obs = nrow(items), warnings = FALSE)
  on_cor <- psych::alpha(correlations, n.obs = nrow(items), warnings = FALSE)
  reference[[scale]] <- list(
    items = names(items),
    raw_alpha = on_raw$total$raw_alpha,
    std_alpha = on_raw$total$std.alpha,
    average_r = on_raw$total$average_r,
    r_drop = unname(on_raw$item.stats$r.drop),
    alpha_if_dropped = unname(on_raw$alpha.drop$raw_alpha),
    covariance_alpha = on_cov$total$raw_alpha,
    correlation_alpha = on_cor$total$raw_alpha,
    joint_min = min(crossprod(!is.na(as.matrix(items))))
  )
}
reference$psych <- as.character(packageVersion("psych"))
write_json(reference, file.path(here, "planned_missing.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
