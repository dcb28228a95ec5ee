# Reference values for analysis.score: scale scores of the psychTools bfi items.
#
# Run from this folder with `Rscript scoring.R`; writes data/bfi_scoring.csv (the first
# 600 respondents, the 25 personality items, missing answers kept) and scoring.json.
# Two references:
#   psych   - psych::scoreItems(keys, impute = "none", min = 1, max = 6, totals = FALSE):
#             the mean of the answered items after reversing (min + max - x).
#   rowmeans_min5 - the same by hand with rowMeans on a reversed copy, set to NA when
#             a scale has any unanswered item (min_valid = 5) (the min_valid rule).
suppressPackageStartupMessages({
  library(psych)
  library(psychTools)
  library(jsonlite)
})

data(bfi, package = "psychTools")
items <- bfi[1:600, 1:25]
write.csv(items, "data/bfi_scoring.csv", row.names = FALSE, na = "")

keys <- list(
  agree = c("-A1", "A2", "A3", "A4", "A5"),
  conscientious = c("C1", "C2", "C3", "-C4", "-C5"),
  extraversion = c("-E1", "-E2", "E3", "E4", "E5"),
  neuroticism = c("N1", "N2", "N3", "N4", "N5"),
  openness = c("O1", "-O2", "O3", "O4", "-O5")
)

scored <- scoreItems(keys, items, totals = FALSE, impute = "none", min = 1, max = 6)
psych_scores <- as.data.frame(unclass(scored$scores))

reversed <- items
for (item in c("A1", "C4", "C5", "E1", "E2", "O2", "O5")) {
  reversed[[item]] <- 1 + 6 - reversed[[item]]
}
by_hand <- lapply(keys, function(key) {
  columns <- reversed[, sub("^-", "", key)]
  means <- rowMeans(columns, na.rm = TRUE)
  means[rowSums(!is.na(columns)) < 5] <- NA
  means
})

out <- list(
  psych_version = as.character(packageVersion("psych")),
  n = nrow(items),
  keys = keys,
  psych = psych_scores,
  rowmeans_min5 = as.data.frame(by_hand)
)
write_json(out, "scoring.json", digits = NA, na = "null", auto_unbox = TRUE, dataframe = "columns")
