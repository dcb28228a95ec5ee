# Reference values for analysis.cfa and analysis.measurement_invariance.
#
# Run from the repository root:
#     Rscript tests/analysis/reference/cfa_lavaan.R
# It exports lavaan's HolzingerSwineford1939 (school, sex, grade, x1..x9) to
# tests/analysis/reference/data/holzinger1939.csv and writes
# tests/analysis/reference/cfa_lavaan.json (full precision, digits = NA).
# Packages: lavaan (0.6), jsonlite. Every fit uses lavaan's defaults: ML with the
# normal likelihood, marker-variable identification, expected information, listwise.

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

here <- "tests/analysis/reference"
data_dir <- file.path(here, "data")
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)

hs <- lavaan::HolzingerSwineford1939
# A third grouping with three groups (pupil id modulo 3), to check more than two groups.
hs$third <- c("a", "b", "c")[hs$id %% 3 + 1]
hs_out <- data.frame(school = as.character(hs$school), sex = hs$sex, grade = hs$grade,
                     third = hs$third, hs[, paste0("x", 1:9)])
write.csv(hs_out, file.path(data_dir, "holzinger1939.csv"), row.names = FALSE, na = "")

three_factors <- "
visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
"
# x9 loads on visual as well as on speed (a cross-loading, as in many HS1939 examples).
cross_loading <- "
visual  =~ x1 + x2 + x3 + x9
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
"
fit_names <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
               "rmsea.ci.upper", "srmr", "baseline.chisq", "baseline.df")

estimates <- function(fit) {
  pe <- parameterEstimates(fit)
  pe <- pe[pe$op %in% c("=~", "~~", "~1"), ]
  if (is.null(pe$group)) pe$group <- 1L
  pe[, c("lhs", "op", "rhs", "group", "est", "se")]
}

summary_of <- function(fit, group, group_equal, group_partial = character(0), model = three_factors) {
  list(
    model = model, group = group, group_equal = as.list(group_equal),
    group_partial = as.list(group_partial),
    group_labels = as.list(lavInspect(fit, "group.label")),
    nobs = as.list(lavInspect(fit, "nobs")),
    fit = as.list(fitMeasures(fit, fit_names)),
    estimates = estimates(fit)
  )
}

fits <- list()
single <- cfa(three_factors, data = hs)
fits$single <- summary_of(single, NULL, character(0))
cross <- cfa(cross_loading, data = hs)
fits$cross_loading <- summary_of(cross, NULL, character(0), model = cross_loading)

levels_equal <- list(
  configural = character(0),
  metric = c("loadings"),
  scalar = c("loadings", "intercepts"),
  strict = c("loadings", "intercepts", "residuals")
)
mg <- list()
for (level in names(levels_equal)) {
  equal <- levels_equal[[level]]
  mg[[level]] <- cfa(three_factors, data = hs, group = "school",
                     group.equal = if (length(equal)) equal else "")
  fits[[level]] <- summary_of(mg[[level]], "school", levels_equal[[level]])
}
partial <- c("x3~1", "x7~1", "visual=~x2")
mg$partial <- cfa(three_factors, data = hs, group = "school",
                  group.equal = c("loadings", "intercepts"), group.partial = partial)
fits$partial_scalar <- summary_of(mg$partial, "school", c("loadings", "intercepts"), partial)
# Factor variances, covariances and means equal too (population heterogeneity).
all_equal <- c("loadings", "intercepts", "lv.variances", "lv.covariances", "means")
mg$all_equal <- cfa(three_factors, data = hs, group = "school", group.equal = all_equal)
fits$all_equal <- summary_of(mg$all_equal, "school", all_equal)
# Three groups, scalar model.
mg$three_groups <- cfa(three_factors, data = hs, group = "third", group.equal = c("loadings", "intercepts"))
fits$three_groups <- summary_of(mg$three_groups, "third", c("loadings", "intercepts"))

# Univariate score tests (lavTestScore) of releasing each equality constraint, named by
# the parameter of the later group that the constraint ties to the first group's.
score_tests <- function(fit) {
  pt <- parTable(fit)
  uni <- lavTestScore(fit)$uni
  rows <- lapply(seq_len(nrow(uni)), function(i) {
    later <- pt[pt$plabel == uni$rhs[i], ]
    list(lhs = later$lhs, op = later$op, rhs = later$rhs, group = later$group,
         X2 = uni$X2[i], df = uni$df[i], p = uni$p.value[i])
  })
  rows
}
scores <- list(metric = score_tests(mg$metric), scalar = score_tests(mg$scalar),
               three_groups = score_tests(mg$three_groups))

# Nested comparisons, as lavTestLRT reports them for the standard chi-square.
comparisons <- list()
pairs <- list(c("configural", "metric"), c("metric", "scalar"), c("scalar", "strict"))
for (p in pairs) {
  lrt <- lavTestLRT(mg[[p[1]]], mg[[p[2]]])
  comparisons[[paste(p, collapse = "_")]] <- list(
    chisq_diff = lrt[["Chisq diff"]][2], df_diff = lrt[["Df diff"]][2], p = lrt[["Pr(>Chisq)"]][2]
  )
}

out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  fits = fits, score_tests = scores, comparisons = comparisons
)
write_json(out, file.path(here, "cfa_lavaan.json"), digits = NA, auto_unbox = TRUE, na = "null",
           null = "null", pretty = TRUE, dataframe = "rows")
