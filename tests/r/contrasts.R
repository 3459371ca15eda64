# Differences between two groups of one survey year, from R's survey package: the
# reference for trygghet.contrast.group_difference (tests/test_workbench.py).
#
#   Rscript tests/r/contrasts.R DIR [DIR ...]
#
# Each DIR holds (written by tests/r/contrasts.py or the tests; base R only):
#   data.csv      id, the raking margin columns, the grouping columns, the variables
#   spec.csv      key,value: margins (";"-separated), epsilon, maxit
#   pop_<margin>.csv   level,Freq for every margin
#   cases.csv     case,variable,by,a,b: the difference of `variable` between the groups
#                 a and b of the column `by`
# and receives contrasts.csv: case,variable,by,a,b,estimate_a,estimate_b,diff,se:
# the linearised covariance of two domains of one (raked) sample, through svycontrast.
#
# A domain mean is the ratio  Σ w·y·1[domain, answered] / Σ w·1[domain, answered]:
# svyratio(~ya + yb, ~da + db, design, covmat = TRUE) gives both with their covariance
# (R's linearisation after calibration, svyrecvar), and svycontrast(.., ya/da − yb/db)
# the difference. svyby(..., covmat = TRUE) would be the shorter route, but in survey
# 4.1-1 it stops on a raked design ("number of items to replace is not a multiple of
# replacement length"), with or without na.rm; it is used where it works (the same
# design before raking), as a check that both routes agree.
suppressPackageStartupMessages(library(survey))

contrasts <- function(dir) {
  spec <- read.csv(file.path(dir, "spec.csv"), colClasses = "character")
  get <- function(key) strsplit(spec$value[spec$key == key], ";", fixed = TRUE)[[1]]
  margins <- get("margins")
  d <- read.csv(file.path(dir, "data.csv"), na.strings = "", stringsAsFactors = FALSE,
                check.names = FALSE)
  cases <- read.csv(file.path(dir, "cases.csv"), colClasses = "character",
                    check.names = FALSE)
  for (m in unique(c(margins, cases$by))) d[[m]] <- as.character(d[[m]])
  pops <- lapply(margins, function(m) {
    p <- read.csv(file.path(dir, paste0("pop_", m, ".csv")), stringsAsFactors = FALSE,
                  na.strings = NULL)
    names(p) <- c(m, "Freq")
    p
  })
  d$w0 <- sum(pops[[1]]$Freq) / nrow(d)
  before <- svydesign(ids = ~1, weights = ~w0, data = d)
  des <- rake(before, lapply(margins, function(m) as.formula(paste0("~`", m, "`"))), pops,
              control = list(maxit = as.numeric(get("maxit")),
                             epsilon = as.numeric(get("epsilon"))))
  difference <- function(design, cs) {
    y <- design$variables[[cs$variable]]
    g <- design$variables[[cs$by]]
    inside <- function(level) as.numeric(!is.na(y) & !is.na(g) & g == level)
    design$variables$.da <- inside(cs$a)
    design$variables$.db <- inside(cs$b)
    design$variables$.ya <- ifelse(design$variables$.da == 1, y, 0)
    design$variables$.yb <- ifelse(design$variables$.db == 1, y, 0)
    r <- svyratio(~.ya + .yb, ~.da + .db, design, covmat = TRUE)
    con <- svycontrast(r, c(".ya/.da" = 1, ".yb/.db" = -1))
    c(estimate_a = unname(coef(r)[".ya/.da"]), estimate_b = unname(coef(r)[".yb/.db"]),
      diff = unname(coef(con)), se = unname(SE(con)))
  }
  rows <- list()
  for (i in seq_len(nrow(cases))) {
    cs <- cases[i, ]
    res <- difference(des, cs)
    rows[[i]] <- data.frame(case = cs$case, variable = cs$variable, by = cs$by, a = cs$a,
                            b = cs$b, estimate_a = res[["estimate_a"]],
                            estimate_b = res[["estimate_b"]], diff = res[["diff"]],
                            se = res[["se"]])
    # The svyby route on the design before raking, where it works: the same figures.
    y <- before$variables[[cs$variable]]
    g <- before$variables[[cs$by]]
    before$variables$.g <- ifelse(is.na(y) | is.na(g), "(inget svar)", g)
    before$variables$.y <- ifelse(is.na(y), 0, y)
    by <- svyby(~.y, ~.g, before, svymean, covmat = TRUE)
    check <- svycontrast(by, setNames(c(1, -1), c(cs$a, cs$b)))
    plain <- difference(before, cs)
    stopifnot(abs(coef(check) - plain[["diff"]]) < 1e-12,
              abs(SE(check) - plain[["se"]]) < 1e-12)
  }
  write.csv(do.call(rbind, rows), file.path(dir, "contrasts.csv"), row.names = FALSE)
}

if (sys.nframe() == 0) for (dir in commandArgs(trailingOnly = TRUE)) contrasts(dir)
