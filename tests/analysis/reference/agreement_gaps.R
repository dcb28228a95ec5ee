# Reference values for analysis/agreement.py, gaps.py, alignment.py and quality.py.
#
# Run from the repository root:
#     Rscript tests/analysis/reference/agreement_gaps.R
# It exports the data it uses to tests/analysis/reference/data/ and writes
# tests/analysis/reference/agreement_gaps.json (full precision, digits = NA).
#
# Sources: multilevel (bh1996, lq2002, bhr2000; rwg, rwg.j, awg, ad.m, ICC1, ICC2),
# psychTools (bfi), base R (t.test, mahalanobis, rle, sd). The effect sizes (d, g, J,
# the CI of g) and the overlap index are computed here from their formulas, so the
# Python code is checked against an independent implementation.

suppressPackageStartupMessages({
  library(multilevel)
  library(psychTools)
  library(jsonlite)
})

here <- "tests/analysis/reference"
data_dir <- file.path(here, "data")
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)

data(bh1996, package = "multilevel")
data(lq2002, package = "multilevel")
data(bhr2000, package = "multilevel")
data(bfi, package = "psychTools")

# ---- exported data (only the columns the tests need) --------------------------------
bh <- bh1996[, c("GRP", "COHES", "LEAD", "WBEING", "HRS")]
gz <- gzfile(file.path(data_dir, "bh1996.csv.gz"), "w")
write.csv(bh, gz, row.names = FALSE)
close(gz)

lq_items <- c(sprintf("LEAD%02d", 1:11), sprintf("TSIG%02d", 1:3), sprintf("HOSTIL%02d", 1:5))
lq <- lq2002[, c("COMPID", lq_items)]
write.csv(lq, file.path(data_dir, "lq2002.csv"), row.names = FALSE)

bhr_items <- c("AF06", "AF07", "AP12", "AP17", "AP33", "AP34", "AS14", "AS15", "AS16", "AS17", "AS28")
bhr <- bhr2000[, c("GRP", bhr_items)]
write.csv(bhr, file.path(data_dir, "bhr2000.csv"), row.names = FALSE)

bfi_items <- colnames(bfi)[1:25]
bf <- bfi[, c("gender", bfi_items)]
write.csv(bf, file.path(data_dir, "bfi_gap.csv"), row.names = FALSE, na = "")

# The same data with answers removed at fixed positions, to check the missing-data
# rules. The tests blank the same cells: every 41st row (1st, 42nd, ...) of the first
# item and every 53rd row starting at the 7th of the fifth item.
blank <- function(frame, first, fifth) {
  frame[seq(1, nrow(frame), by = 41), first] <- NA
  frame[seq(7, nrow(frame), by = 53), fifth] <- NA
  frame
}

out <- list()
as_table <- function(frame, value, size) {
  list(group = as.character(frame$grpid), value = unname(frame[[value]]), n = unname(frame[[size]]))
}

# ---- rwg and ICC on bh1996 (A = 5 options -> sigma_EU^2 = 2) -------------------------
for (v in c("COHES", "LEAD", "WBEING", "HRS")) {
  out$rwg[[v]] <- as_table(rwg(bh[[v]], bh$GRP, ranvar = 2), "rwg", "gsize")
  fit <- aov(bh[[v]] ~ as.factor(bh$GRP))
  out$icc[[v]] <- list(icc1 = ICC1(fit), icc2 = ICC2(fit))
}
# Seven options (sigma_EU^2 = 4) on HRS, where many groups are truncated at 0.
out$rwg$HRS_A7 <- as_table(rwg(bh$HRS, bh$GRP, ranvar = (7^2 - 1) / 12), "rwg", "gsize")

# Unbalanced and with missing values: drop all of group 1's rows but three, blank
# every 29th WBEING value.
bh_missing <- bh[-which(bh$GRP == 1)[-(1:3)], ]
bh_missing$WBEING[seq(1, nrow(bh_missing), by = 29)] <- NA
out$rwg$WBEING_missing <- as_table(rwg(bh_missing$WBEING, bh_missing$GRP, ranvar = 2), "rwg", "gsize")
fit <- aov(WBEING ~ as.factor(GRP), data = bh_missing)
out$icc$WBEING_missing <- list(icc1 = ICC1(fit), icc2 = ICC2(fit))

# ---- rwg.j on lq2002 ---------------------------------------------------------------
out$rwg_j$TSIG <- as_table(rwg.j(lq[, sprintf("TSIG%02d", 1:3)], lq$COMPID, ranvar = 2), "rwg.j", "gsize")
out$rwg_j$LEAD <- as_table(rwg.j(lq[, sprintf("LEAD%02d", 1:11)], lq$COMPID, ranvar = 2), "rwg.j", "gsize")
# Hostility items run 0..4: five options, sigma_EU^2 = 2.
out$rwg_j$HOSTIL <- as_table(rwg.j(lq[, sprintf("HOSTIL%02d", 1:5)], lq$COMPID, ranvar = 2), "rwg.j", "gsize")
tsig_missing <- blank(lq[, sprintf("TSIG%02d", 1:3)], 1, 3)
out$rwg_j$TSIG_missing <- as_table(rwg.j(tsig_missing, lq$COMPID, ranvar = 2), "rwg.j", "gsize")
for (v in c("TSIG01", "LEAD05")) {
  out$icc[[v]] <- local({
    fit <- aov(lq[[v]] ~ as.factor(lq$COMPID))
    list(icc1 = ICC1(fit), icc2 = ICC2(fit))
  })
}

# ---- awg and ad.m on bhr2000 (five options, 1..5) ----------------------------------
items <- bhr[, bhr_items]
awg_multi <- awg(items, bhr$GRP, range = c(1, 5))
out$awg$items <- list(group = as.character(awg_multi$grpid), value = unname(awg_multi$a.wg),
                      n = unname(awg_multi$nraters), n_items = unname(awg_multi$nitems))
awg_single <- awg(bhr$AF06, bhr$GRP, range = c(1, 5))
out$awg$AF06 <- as_table(awg_single, "a.wg", "nraters")
awg_missing <- awg(blank(items, 1, 5), bhr$GRP, range = c(1, 5))
out$awg$items_missing <- list(group = as.character(awg_missing$grpid), value = unname(awg_missing$a.wg),
                              n = unname(awg_missing$nraters), n_items = unname(awg_missing$nitems))
# lq2002's TSIG items run 1..5 in small companies: many item means fall outside the
# bounds and give NA, which the multi-item mean skips.
awg_tsig <- awg(lq[, sprintf("TSIG%02d", 1:3)], lq$COMPID, range = c(1, 5))
out$awg$TSIG <- list(group = as.character(awg_tsig$grpid), value = unname(awg_tsig$a.wg),
                     n = unname(awg_tsig$nraters), n_items = unname(awg_tsig$nitems))

for (type in c("mean", "median")) {
  out$ad[[paste0("items_", type)]] <- as_table(ad.m(items, bhr$GRP, type = type), "AD.M", "gsize")
  out$ad[[paste0("AF06_", type)]] <- as_table(ad.m(bhr$AF06, bhr$GRP, type = type), "AD.M", "gsize")
  out$ad[[paste0("items_missing_", type)]] <- as_table(ad.m(blank(items, 1, 5), bhr$GRP, type = type),
                                                       "AD.M", "gsize")
}

# ---- gap(): bfi items, men (gender 1) minus women (gender 2) -------------------------
effect <- function(a, b) {
  a <- a[!is.na(a)]
  b <- b[!is.na(b)]
  n_a <- length(a); n_b <- length(b)
  df <- n_a + n_b - 2
  pooled_sd <- sqrt(((n_a - 1) * var(a) + (n_b - 1) * var(b)) / df)
  d <- (mean(a) - mean(b)) / pooled_sd
  J <- exp(lgamma(df / 2) - log(sqrt(df / 2)) - lgamma((df - 1) / 2))
  g <- J * d
  # Borenstein et al. (2009): Var(d) = (n_a + n_b) / (n_a n_b) + d^2 / (2 (n_a + n_b)),
  # SE(g) = J SE(d).
  se_g <- J * sqrt((n_a + n_b) / (n_a * n_b) + d^2 / (2 * (n_a + n_b)))
  z <- qnorm(0.975)
  welch <- t.test(a, b, var.equal = FALSE)
  list(n_a = n_a, n_b = n_b, mean_a = mean(a), mean_b = mean(b), difference = mean(a) - mean(b),
       d = d, J = J, g = g, g_ci_low = g - z * se_g, g_ci_high = g + z * se_g,
       t = unname(welch$statistic), df = unname(welch$parameter), p = welch$p.value,
       ci_low = welch$conf.int[1], ci_high = welch$conf.int[2])
}
men <- bf$gender == 1
women <- bf$gender == 2
for (v in bfi_items) out$gap[[v]] <- effect(bf[men, v], bf[women, v])
# A small, very unequal pair (first 4 men vs first 9 women) where J matters.
out$gap_small <- effect(head(bf$A1[men], 4), head(bf$A1[women], 9))

# ---- trend(): independent waves (Welch) and paired waves (same respondents) ------------
# Independent: wave 1 = women's A2, wave 2 = men's A2; change = wave 2 - wave 1.
out$trend_independent <- effect(bf$A2[men], bf$A2[women])
# Paired: each respondent's A4 (wave 1) and A5 (wave 2), complete pairs only.
both <- !is.na(bf$A4) & !is.na(bf$A5)
paired <- t.test(bf$A5[both], bf$A4[both], paired = TRUE)
change <- bf$A5[both] - bf$A4[both]
out$trend_paired <- list(n_pairs = sum(both), mean_earlier = mean(bf$A4[both]),
                         mean_later = mean(bf$A5[both]), change = mean(change),
                         t = unname(paired$statistic), df = unname(paired$parameter),
                         p = paired$p.value, ci_low = paired$conf.int[1], ci_high = paired$conf.int[2],
                         # Standardised change d_z = mean change / SD of the changes.
                         d_z = mean(change) / sd(change))

# ---- alignment and profile similarity: men vs women on the 25 bfi items --------------
g_values <- sapply(out$gap, function(x) x$g)
d_values <- sapply(out$gap, function(x) x$d)
out$alignment <- list(ovl_from_g = 100 * mean(2 * pnorm(-abs(g_values) / 2)),
                      ovl_from_d = 100 * mean(2 * pnorm(-abs(d_values) / 2)))
profile_a <- colMeans(bf[men, bfi_items], na.rm = TRUE)
profile_b <- colMeans(bf[women, bfi_items], na.rm = TRUE)
out$profile <- list(correlation = cor(profile_a, profile_b),
                    # Euclidean distance of the profiles after dividing each item's difference
                    # by its pooled within-group SD, i.e. sqrt(sum(d^2)).
                    distance = sqrt(sum(d_values^2)))

# ---- careless responding on the 25 bfi items -----------------------------------------
answers <- as.matrix(bf[, bfi_items])
longest_run <- apply(answers, 1, function(row) max(rle(row)$lengths))
irv <- apply(answers, 1, sd, na.rm = TRUE)
complete <- complete.cases(answers)
centre <- colMeans(answers[complete, ])
covariance <- cov(answers[complete, ])
d2 <- rep(NA_real_, nrow(answers))
d2[complete] <- mahalanobis(answers[complete, ], centre, covariance)
out$careless <- list(longstring = unname(longest_run), irv = unname(irv), mahalanobis = d2,
                     mahalanobis_p = pchisq(d2, df = ncol(answers), lower.tail = FALSE))

write_json(out, file.path(here, "agreement_gaps.json"), digits = NA, auto_unbox = TRUE, na = "null",
           pretty = FALSE)
cat("wrote", file.path(here, "agreement_gaps.json"), "\n")
