# Reference values for analysis/multicomp.py: R's p.adjust.
#
# Run from the repository root:
#     Rscript tests/analysis/reference/multicomp.R
# It writes tests/analysis/reference/multicomp.json (full precision, digits = NA): each
# case holds its input p-values (NA for a test not run) and p.adjust's result for the
# methods "BH", "bonferroni" and "holm", with n = the number of non-missing p-values
# (p.adjust's default).

suppressPackageStartupMessages(library(jsonlite))

here <- "tests/analysis/reference"

set.seed(20240601)
mixed <- c(runif(30, 0, 0.05), runif(30))
mixed[c(4, 17, 41)] <- NA

cases <- list(
  small = c(0.01, 0.04, 0.03, 0.005, NA, 0.9),
  ties = c(0.02, 0.02, 0.02, 0.5, 0.001, 0.001),
  near_one = c(0.9, 0.95, 0.99, 1, 0.8),
  zeros = c(0, 0, 0.3, 1e-12, 0.04),
  single = c(0.03),
  all_missing = c(NA, NA),
  mixed = mixed
)

methods <- c(fdr_bh = "BH", bonferroni = "bonferroni", holm = "holm")
reference <- lapply(cases, function(p) {
  adjusted <- lapply(methods, function(m) p.adjust(p, method = m))
  c(list(p = p), adjusted)
})

writeLines(
  toJSON(reference, digits = NA, na = "null", auto_unbox = FALSE, pretty = TRUE),
  file.path(here, "multicomp.json")
)
