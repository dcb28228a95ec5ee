# Reference values for inputs at the edge: degenerate factor solutions, parallel analysis
# where psych's rule and the mean rule disagree, agreement indices on team labels that mix
# numbers and text, and what psych and multilevel do where our functions raise instead.
#
# Run from the repository root:
#     Rscript tests/analysis/reference/edge_cases.R
# It exports the data it uses to tests/analysis/reference/data/ (klein2000_350.csv,
# epi_bfi.csv, spi_40x80.csv; bfi.csv.gz and bhr2000.csv come from the other scripts)
# and writes tests/analysis/reference/edge_cases.json (full precision, digits = NA).
# Packages: psych, psychTools (bfi, epi.bfi, spi), multilevel (klein2000, bhr2000),
# GPArotation, jsonlite. Parallel analysis takes about two minutes.

suppressPackageStartupMessages({
  library(psych)
  library(psychTools)
  library(multilevel)
  library(GPArotation)
  library(jsonlite)
})

here <- "tests/analysis/reference"
data_dir <- file.path(here, "data")
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)

data(klein2000, package = "multilevel")
data(bhr2000, package = "multilevel")

# ---- exported data --------------------------------------------------------------------
klein <- klein2000[1:350, ]
write.csv(klein, file.path(data_dir, "klein2000_350.csv"), row.names = FALSE)
epi <- psychTools::epi.bfi
write.csv(epi, file.path(data_dir, "epi_bfi.csv"), row.names = FALSE)
# 40 complete respondents on the first 80 SAPA items: far fewer respondents than items.
spi <- na.omit(psychTools::spi[, 11:145])[1:40, 1:80]
write.csv(spi, file.path(data_dir, "spi_40x80.csv"), row.names = FALSE)

bfi_items <- psychTools::bfi[, 1:25]
bfi_24 <- na.omit(bfi_items)[1:24, ]  # 24 complete respondents, 25 items
bfi_duplicated <- bfi_items
bfi_duplicated$A1_copy <- bfi_duplicated$A1

# Run an expression and keep its value, warnings, messages and error (if it stops).
observe <- function(expr) {
  warnings <- character(0)
  messages <- character(0)
  value <- withCallingHandlers(
    tryCatch(expr, error = function(e) structure(list(message = conditionMessage(e)), class = "stopped")),
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    },
    message = function(m) {
      messages <<- c(messages, trimws(conditionMessage(m)))
      invokeRestart("muffleMessage")
    }
  )
  list(value = value, warnings = unique(warnings), messages = unique(messages))
}

out <- list(versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                            multilevel = as.character(packageVersion("multilevel")),
                            GPArotation = as.character(packageVersion("GPArotation"))))

# ---- degenerate factor solutions --------------------------------------------------------
fa_case <- function(x, nf, fm, rotate = "oblimin") {
  r <- cor(x, use = "pairwise")
  seen <- observe(psych::fa(r, nfactors = nf, n.obs = nrow(x), fm = fm, rotate = rotate,
                            warnings = FALSE))
  f <- seen$value
  common <- list(items = colnames(x), n_obs = nrow(x), n_factors = nf, method = fm, rotation = rotate,
                 warnings = I(seen$warnings), messages = I(seen$messages))
  if (inherits(f, "stopped")) return(c(common, list(error = f$message)))
  c(common, list(
    loadings = unname(unclass(f$loadings)), communalities = unname(f$communality),
    chi2 = f$STATISTIC, df = f$dof, objective = f$objective, tli = f$TLI,
    rmsea = unname(f$RMSEA["RMSEA"])
  ))
}
out$efa <- list(
  # epiE is nearly the sum of epiS and epiImp: an ultra-Heywood case.
  epi_minres_3 = fa_case(epi, 3, "minres"),
  # 40 respondents, 80 items: the smoothed determinant underflows and psych's chi-square
  # is based on the residuals.
  spi_minres_2 = fa_case(spi, 2, "minres"),
  bfi_24_minres_2 = fa_case(bfi_24, 2, "minres"),
  bfi_24_ml_2 = fa_case(bfi_24, 2, "ml"),
  bfi_duplicated_minres_5 = fa_case(bfi_duplicated, 5, "minres"),
  bfi_duplicated_ml_5 = fa_case(bfi_duplicated, 5, "ml")
)
omega_epi <- observe(psych::omega(cor(epi), nfactors = 3, n.obs = nrow(epi), plot = FALSE))
out$omega_epi_3 <- list(warnings = I(omega_epi$warnings),
                        communalities = unname(omega_epi$value$schmid$sl[, "h2"]))

# ---- KMO and Bartlett on a duplicated item: psych answers regardless --------------------
r_duplicated <- cor(bfi_duplicated, use = "pairwise")
bartlett_duplicated <- observe(psych::cortest.bartlett(r_duplicated, n = nrow(bfi_duplicated)))
kmo_duplicated <- observe(psych::KMO(r_duplicated))
out$bartlett_duplicated <- list(chi2 = as.character(bartlett_duplicated$value$chisq),
                                p = bartlett_duplicated$value$p.value,
                                smallest_eigenvalue = min(eigen(r_duplicated)$values))
out$kmo_duplicated <- list(overall = kmo_duplicated$value$MSA, messages = I(kmo_duplicated$messages))

# ---- parallel analysis on klein2000 (first 350 rows, the 8 scales) -----------------------
# psych::fa.parallel(fa = "pc") reports ncomp: observed eigenvalues above the 95th
# percentile (quant = .95) of the eigenvalues of its simulated normal data.
klein_items <- klein[, -1]
components <- function(seed, n_iter) {
  set.seed(seed)
  seen <- observe(capture.output(pa <- psych::fa.parallel(klein_items, fa = "pc", n.iter = n_iter,
                                                          plot = FALSE)))
  pa$ncomp
}
out$parallel_klein2000 <- list(
  items = colnames(klein_items),
  observed = eigen(cor(klein_items))$values,
  seeds_20 = 1:100, ncomp_20 = sapply(1:100, components, n_iter = 20),
  seeds_200 = 1:10, ncomp_200 = sapply(1:10, components, n_iter = 200)
)

# ---- agreement with team labels mixing numbers and text ---------------------------------
# Even-numbered groups of bhr2000 are renamed "team<n>"; R holds every label as text.
bhr_items <- c("AF06", "AF07", "AP12", "AP17", "AP33", "AP34", "AS14", "AS15", "AS16", "AS17", "AS28")
labels <- ifelse(bhr2000$GRP %% 2 == 0, paste0("team", bhr2000$GRP), as.character(bhr2000$GRP))
table_of <- function(frame, value, size) {
  list(group = as.character(frame$grpid), value = unname(frame[[value]]), n = unname(frame[[size]]))
}
items <- bhr2000[, bhr_items]
out$mixed_labels <- list(
  rwg = table_of(rwg(bhr2000$AF06, labels, ranvar = 2), "rwg", "gsize"),
  rwg_j = table_of(rwg.j(items, labels, ranvar = 2), "rwg.j", "gsize"),
  awg = table_of(awg(items, labels, range = c(1, 5)), "a.wg", "nraters"),
  ad = table_of(ad.m(items, labels, type = "mean"), "AD.M", "gsize")
)

# ---- ICC without variance: multilevel gives NaN, or a rounding artefact ------------------
g <- factor(c("a", "a", "b", "b"))
constant <- aov(c(3, 3, 3, 3) ~ g)
equal_means <- aov(c(1, 3, 1, 3) ~ g)
out$icc_degenerate <- list(constant = list(icc1 = ICC1(constant), icc2 = ICC2(constant)),
                           equal_means = list(icc1 = ICC1(equal_means), icc2 = ICC2(equal_means)))

write_json(out, file.path(here, "edge_cases.json"), digits = NA, auto_unbox = TRUE, na = "null",
           null = "null", pretty = TRUE)
cat("wrote", file.path(here, "edge_cases.json"), "\n")
