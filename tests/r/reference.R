# Reference figures from R's survey package, for trygghet's tests.
#
#   Rscript tests/r/reference.R DIR [DIR ...]
#
# Each DIR holds (written by the tests; base R only, no other packages):
#   data.csv        id, optional w0, the margin columns, the grouping columns and the y columns
#   spec.csv        key,value rows: margins (";"-separated column names, may be empty),
#                   shares, means, by (";"-separated), epsilon, maxit, level, and optionally
#                   strata and fpc (column names: a stratified design, fpc = N_h per row)
#   pop_<margin>.csv  level,Freq for every margin
# and receives
#   weights.csv     id,weight  (the raked weights)
#   estimates.csv   variable,group_var,group,estimate,se,df,nrow,logit_low,logit_high,
#                   beta_low,beta_high,t_low,t_high
# or, if rake() fails (e.g. "Some strata absent from sample"), error.txt with R's message.
suppressPackageStartupMessages(library(survey))

reference <- function(dir) {
  spec <- read.csv(file.path(dir, "spec.csv"), colClasses = "character", na.strings = NULL)
  get <- function(key) {
    v <- spec$value[spec$key == key]
    if (length(v) == 0 || v == "") character(0) else strsplit(v, ";", fixed = TRUE)[[1]]
  }
  margins <- get("margins"); shares <- get("shares"); means <- get("means"); by <- get("by")
  epsilon <- as.numeric(get("epsilon")); maxit <- as.numeric(get("maxit"))
  level <- as.numeric(get("level"))
  strata <- get("strata"); fpc <- get("fpc")
  d <- read.csv(file.path(dir, "data.csv"), na.strings = "", stringsAsFactors = FALSE,
                check.names = FALSE)
  for (m in c(margins, by, strata)) d[[m]] <- as.character(d[[m]])
  if (length(strata)) {
    # Stratified: weights N_h / n_h from the fpc column unless w0 is given.
    sf <- as.formula(paste0("~`", strata, "`"))
    ff <- if (length(fpc)) as.formula(paste0("~`", fpc, "`")) else NULL
    des <- if ("w0" %in% names(d)) {
      svydesign(ids = ~1, strata = sf, fpc = ff, weights = ~w0, data = d)
    } else {
      svydesign(ids = ~1, strata = sf, fpc = ff, data = d)
    }
  } else {
    if (!("w0" %in% names(d))) {
      pop <- read.csv(file.path(dir, paste0("pop_", margins[1], ".csv")), na.strings = NULL,
                      stringsAsFactors = FALSE)
      d$w0 <- sum(pop$Freq) / nrow(d)
    }
    des <- svydesign(ids = ~1, weights = ~w0, data = d)
  }
  if (length(margins)) {
    pops <- lapply(margins, function(m) {
      p <- read.csv(file.path(dir, paste0("pop_", m, ".csv")), na.strings = NULL,
                    stringsAsFactors = FALSE)
      names(p) <- c(m, "Freq")
      p
    })
    # postStratify() prints the offending strata before it stops: keep that quiet.
    des <- tryCatch({
      raked <- NULL
      capture.output(raked <- suppressWarnings(
        rake(des, lapply(margins, function(m) as.formula(paste0("~`", m, "`"))), pops,
             control = list(maxit = maxit, epsilon = epsilon))))
      raked
    }, error = function(e) e)
    if (inherits(des, "error")) {
      writeLines(conditionMessage(des), file.path(dir, "error.txt"))
      return(invisible())
    }
  }
  write.csv(data.frame(id = d$id, weight = weights(des)), file.path(dir, "weights.csv"),
            row.names = FALSE)
  rows <- list()
  domains <- list(list(group_var = "total", group = "Totalt", design = des))
  for (g in by) {
    for (lev in sort(unique(d[[g]][!is.na(d[[g]])]))) {
      domains[[length(domains) + 1]] <- list(group_var = g, group = lev,
                                              design = des[!is.na(d[[g]]) & d[[g]] == lev, ])
    }
  }
  alpha <- 1 - level
  for (dm in domains) {
    sub <- dm$design
    for (v in c(shares, means)) {
      inside <- weights(sub) > 0 & !is.na(sub$variables[[v]])
      if (!any(inside)) next
      f <- as.formula(paste0("~`", v, "`"))
      m <- svymean(f, sub, na.rm = TRUE)
      est <- as.numeric(coef(m)); se <- as.numeric(SE(m)); df <- degf(sub)
      r <- data.frame(variable = v, group_var = dm$group_var, group = dm$group, estimate = est,
                      se = se, df = df, nrow = nrow(sub), logit_low = NA, logit_high = NA,
                      beta_low = NA, beta_high = NA, t_low = NA, t_high = NA)
      if (v %in% shares) {
        ci <- suppressWarnings(confint(svyciprop(f, sub, method = "logit", na.rm = TRUE,
                                                  level = level)))
        r$logit_low <- ci[1]; r$logit_high <- ci[2]
        ci <- suppressWarnings(confint(svyciprop(f, sub, method = "beta", na.rm = TRUE,
                                                  level = level)))
        r$beta_low <- ci[1]; r$beta_high <- ci[2]
      } else {
        ci <- confint(m, df = df, level = level)
        r$t_low <- ci[1]; r$t_high <- ci[2]
      }
      rows[[length(rows) + 1]] <- r
    }
  }
  write.csv(do.call(rbind, rows), file.path(dir, "estimates.csv"), row.names = FALSE)
}

# Run on the folders given, unless another script sourced this one for reference().
if (sys.nframe() == 0) for (dir in commandArgs(trailingOnly = TRUE)) reference(dir)
