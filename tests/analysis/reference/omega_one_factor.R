# Reference values for analysis.reliability.omega_total: psych::omega with one factor.
#
# Run from the repository root (psych and jsonlite; GPArotation is not needed for one factor):
#     Rscript tests/analysis/reference/omega_one_factor.R
# It reads the data reliability_factors.R exported (tests/analysis/reference/data/bfi.csv.gz
# and holzinger.csv) and writes tests/analysis/reference/omega_one_factor.json: for each
# scale its items and omega total of psych::omega(x, nfactors = 1, fm = "minres"), on
# pairwise-complete correlations (psych's handling of raw data with missing answers) and,
# for data with missing answers, on complete rows.

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

here <- "tests/analysis/reference"
data_dir <- file.path(here, "data")

bfi_items <- read.csv(file.path(data_dir, "bfi.csv.gz"))
reverse_keyed <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
bfi_keyed <- bfi_items
bfi_keyed[reverse_keyed] <- 7 - bfi_keyed[reverse_keyed]
holz <- read.csv(file.path(data_dir, "holzinger.csv"))

one_factor <- function(x) {
  o <- suppressWarnings(suppressMessages(
    psych::omega(x, nfactors = 1, fm = "minres", plot = FALSE)
  ))
  o$omega.tot
}

scales <- list(
  agreeableness = paste0("A", 1:5),
  conscientiousness = paste0("C", 1:5),
  extraversion = paste0("E", 1:5),
  neuroticism = paste0("N", 1:5),
  openness = paste0("O", 1:5)
)
reference <- list()
for (s in names(scales)) {
  x <- bfi_keyed[, scales[[s]]]
  reference[[s]] <- list(
    data = "bfi", items = scales[[s]],
    pairwise = one_factor(x), listwise = one_factor(na.omit(x))
  )
}
reference[["holzinger_x1_x3"]] <- list(
  data = "holzinger", items = c("x1", "x2", "x3"), pairwise = one_factor(holz[, c("x1", "x2", "x3")])
)
reference[["holzinger_x1_x9"]] <- list(
  data = "holzinger", items = paste0("x", 1:9), pairwise = one_factor(holz[, paste0("x", 1:9)])
)

writeLines(
  toJSON(reference, digits = NA, auto_unbox = TRUE, pretty = TRUE),
  file.path(here, "omega_one_factor.json")
)
