# Reference values for analysis.reliability and analysis.factors.
#
# Run from the repository root:
#   Rscript tests/analysis/reference/reliability_factors.R
# Writes tests/analysis/reference/reliability_factors.json and exports the two
# data sets it uses to tests/analysis/reference/data/ (bfi.csv.gz, holzinger.csv).
# Packages: psych, psychTools (bfi), lavaan (HolzingerSwineford1939), GPArotation, jsonlite.

suppressPackageStartupMessages({
  library(psych)
  library(psychTools)
  library(lavaan)
  library(GPArotation)
  library(jsonlite)
})

out_dir <- "tests/analysis/reference"
data_dir <- file.path(out_dir, "data")
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)

# ---- data -----------------------------------------------------------------
bfi_items <- psychTools::bfi[, 1:25]
gz <- gzfile(file.path(data_dir, "bfi.csv.gz"), "w")
write.csv(bfi_items, gz, row.names = FALSE, na = "")
close(gz)

holz <- lavaan::HolzingerSwineford1939[, paste0("x", 1:9)]
write.csv(holz, file.path(data_dir, "holzinger.csv"), row.names = FALSE)

# Reverse-keyed bfi items are rescored as 7 - x (the scale runs 1..6), the same
# result psych gets from keys = c("-A1", ...) on these items.
reverse_keyed <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
bfi_keyed <- bfi_items
bfi_keyed[reverse_keyed] <- 7 - bfi_keyed[reverse_keyed]
scales <- list(
  agreeableness = paste0("A", 1:5), conscientiousness = paste0("C", 1:5),
  extraversion = paste0("E", 1:5), neuroticism = paste0("N", 1:5),
  openness = paste0("O", 1:5)
)

# ---- Cronbach's alpha -----------------------------------------------------
alpha_summary <- function(x) {
  a <- psych::alpha(x, warnings = FALSE)
  list(
    alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
    average_r = a$total$average_r, n_obs = nrow(x), n_items = a$nvar,
    ci_low = unname(unlist(a$feldt$lower.ci)), ci_high = unname(unlist(a$feldt$upper.ci)),
    items = rownames(a$item.stats), r_drop = a$item.stats$r.drop,
    alpha_if_dropped = a$alpha.drop$raw_alpha
  )
}
alpha_ref <- list()
for (s in names(scales)) {
  x <- bfi_keyed[, scales[[s]]]
  alpha_ref[[s]] <- list(pairwise = alpha_summary(x), listwise = alpha_summary(na.omit(x)))
}
alpha_ref[["holzinger_x1_x9"]] <- list(pairwise = alpha_summary(holz), listwise = alpha_summary(holz))
# Two items: psych's special case for alpha-if-dropped.
alpha_ref[["two_items"]] <- list(pairwise = alpha_summary(bfi_keyed[, c("A2", "A3")]))

# ---- KMO and Bartlett -----------------------------------------------------
kmo_bartlett <- function(x) {
  r <- cor(x, use = "pairwise")
  k <- psych::KMO(r)
  b <- psych::cortest.bartlett(r, n = nrow(x))
  list(items = colnames(x), n = nrow(x), kmo_overall = k$MSA, kmo_per_item = unname(k$MSAi),
       chi2 = b$chisq, df = b$df, p = b$p.value)
}
kmo_ref <- list(
  bfi_pairwise = kmo_bartlett(bfi_items),
  bfi_listwise = kmo_bartlett(na.omit(bfi_items)),
  holzinger = kmo_bartlett(holz)
)

# ---- exploratory factor analysis -----------------------------------------
fa_summary <- function(x, nf, fm, rotate) {
  r <- cor(x, use = "pairwise")
  f <- psych::fa(r, nfactors = nf, n.obs = nrow(x), fm = fm, rotate = rotate, warnings = FALSE)
  L <- unclass(f$loadings)
  list(
    n_obs = nrow(x), n_factors = nf, method = fm, rotation = rotate,
    items = rownames(L), factors = colnames(L),
    loadings = unname(L), communalities = unname(f$communality),
    uniquenesses = unname(f$uniquenesses),
    phi = if (is.null(f$Phi)) NULL else unname(f$Phi),
    ss_loadings = unname(f$Vaccounted["SS loadings", ]),
    proportion = unname(f$Vaccounted["Proportion Var", ]),
    chi2 = f$STATISTIC, df = f$dof, rmsea = unname(f$RMSEA["RMSEA"]), tli = f$TLI,
    objective = f$objective
  )
}
efa_ref <- list()
for (fm in c("minres", "ml")) {
  for (rot in c("oblimin", "promax", "varimax", "none")) {
    efa_ref[[paste("holzinger", fm, rot, sep = "_")]] <- fa_summary(holz, 3, fm, rot)
  }
  efa_ref[[paste("bfi_pairwise", fm, "oblimin", sep = "_")]] <- fa_summary(bfi_keyed, 5, fm, "oblimin")
  efa_ref[[paste("bfi_pairwise", fm, "promax", sep = "_")]] <- fa_summary(bfi_keyed, 5, fm, "promax")
  efa_ref[[paste("bfi_listwise", fm, "varimax", sep = "_")]] <- fa_summary(na.omit(bfi_keyed), 5, fm, "varimax")
}
efa_ref[["holzinger_minres_oblimin_1factor"]] <- fa_summary(holz, 1, "minres", "oblimin")
efa_ref[["holzinger_ml_oblimin_2factors"]] <- fa_summary(holz, 2, "ml", "oblimin")
# Too many factors for five variables: negative degrees of freedom, no RMSEA.
efa_ref[["holzinger_x1_x5_minres_promax_4factors"]] <- fa_summary(holz[, 1:5], 4, "minres", "promax")

# psych::fa on raw data with pairwise deletion gives the same STATISTIC, RMSEA and
# TLI as on the pairwise correlation matrix with n.obs = number of rows.
raw_fit <- psych::fa(bfi_keyed, nfactors = 5, fm = "minres", rotate = "oblimin", warnings = FALSE)
efa_ref[["bfi_pairwise_minres_oblimin"]]$raw_data_chi2 <- raw_fit$STATISTIC
efa_ref[["bfi_pairwise_minres_oblimin"]]$raw_data_rmsea <- unname(raw_fit$RMSEA["RMSEA"])
efa_ref[["bfi_pairwise_minres_oblimin"]]$raw_data_tli <- raw_fit$TLI

# ---- omega ----------------------------------------------------------------
omega_summary <- function(x, nf) {
  o <- psych::omega(x, nfactors = nf, fm = "minres", rotate = "oblimin", plot = FALSE)
  sl <- o$schmid$sl
  list(
    n_factors = nf, items = rownames(sl), total = o$omega.tot, hierarchical = o$omega_h,
    alpha = o$alpha, general_loadings = unname(sl[, 1]),
    group_loadings = unname(sl[, 2:(nf + 1)]), communalities = unname(sl[, "h2"]),
    phi = unname(o$schmid$phi)
  )
}
omega_ref <- list(
  holzinger_3 = omega_summary(holz, 3),
  holzinger_2 = omega_summary(holz, 2),
  bfi_pairwise_5 = omega_summary(bfi_keyed, 5),
  bfi_pairwise_3 = omega_summary(bfi_keyed, 3),
  bfi_listwise_5 = omega_summary(na.omit(bfi_keyed), 5),
  neuroticism_openness_3 = omega_summary(bfi_keyed[, c(scales$neuroticism, scales$openness)], 3)
)

# ---- eigenvalues for parallel analysis -------------------------------------
eigen_ref <- list(
  holzinger = eigen(cor(holz))$values,
  bfi_pairwise = eigen(cor(bfi_items, use = "pairwise"))$values
)

# Parallel analysis is random: psych's principal-component variant (observed
# eigenvalues against the mean of simulated normal data) for orientation only.
set.seed(1)
pa_bfi <- psych::fa.parallel(bfi_items, fa = "pc", n.iter = 20, plot = FALSE)
pa_holz <- psych::fa.parallel(holz, fa = "pc", n.iter = 20, plot = FALSE)
parallel_ref <- list(
  bfi = list(n_components = pa_bfi$ncomp, simulated_mean = pa_bfi$pc.sim, n_iter = 20),
  holzinger = list(n_components = pa_holz$ncomp, simulated_mean = pa_holz$pc.sim, n_iter = 20)
)

reference <- list(
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                  GPArotation = as.character(packageVersion("GPArotation"))),
  alpha = alpha_ref, kmo_bartlett = kmo_ref, efa = efa_ref, omega = omega_ref,
  eigenvalues = eigen_ref, parallel = parallel_ref
)
writeLines(toJSON(reference, digits = NA, auto_unbox = TRUE, null = "null", pretty = TRUE),
           file.path(out_dir, "reliability_factors.json"))
