# The apistrat fixture: R's own stratified example data and R's figures on it.
#
#   Rscript tests/r/apistrat.R
#
# Writes tests/r/apistrat/: data.csv (the columns of survey's `apistrat` that the tests
# use, plus `api99_gaps`, api99 with every seventh value removed, for item
# non-response), population.csv (apipop's counts of sch.wide and comp.imp, the raking
# margins) and R's results for two designs, through reference.R:
#   strat        svydesign(ids = ~1, strata = ~stype, fpc = ~fpc)
#   strat_raked  the same, raked on sch.wide and comp.imp
# as <design>_estimates.csv (and strat_raked_weights.csv). tests/test_estimate.py
# compares trygghet with these files, and with a live run of R when R is present.
suppressPackageStartupMessages(library(survey))
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "reference.R"))
out <- file.path(here, "apistrat")
dir.create(out, showWarnings = FALSE)

data(api)
d <- data.frame(id = seq_len(nrow(apistrat)) - 1, stype = apistrat$stype, fpc = apistrat$fpc,
                sch.wide = apistrat$sch.wide, comp.imp = apistrat$comp.imp,
                cname = apistrat$cname, api00 = apistrat$api00,
                api99_gaps = ifelse(seq_len(nrow(apistrat)) %% 7 == 1, NA, apistrat$api99),
                awards = as.numeric(apistrat$awards == "Yes"), check.names = FALSE)
write.csv(d, file.path(out, "data.csv"), row.names = FALSE, na = "")
pop <- rbind(data.frame(dimension = "sch.wide", as.data.frame(table(level = apipop$sch.wide))),
             data.frame(dimension = "comp.imp", as.data.frame(table(level = apipop$comp.imp))))
names(pop) <- c("dimension", "level", "population")
write.csv(pop, file.path(out, "population.csv"), row.names = FALSE)

designs <- list(strat = character(0), strat_raked = c("sch.wide", "comp.imp"))
for (name in names(designs)) {
  dir <- tempfile(name)
  dir.create(dir)
  write.csv(d, file.path(dir, "data.csv"), row.names = FALSE, na = "")
  for (m in c("sch.wide", "comp.imp")) {
    p <- pop[pop$dimension == m, ]
    write.csv(data.frame(level = p$level, Freq = p$population),
              file.path(dir, paste0("pop_", m, ".csv")), row.names = FALSE)
  }
  spec <- c(margins = paste(designs[[name]], collapse = ";"), shares = "awards",
            means = "api00;api99_gaps", by = "stype;cname", epsilon = "1e-12", maxit = "1000",
            level = "0.95", strata = "stype", fpc = "fpc")
  write.csv(data.frame(key = names(spec), value = unname(spec)), file.path(dir, "spec.csv"),
            row.names = FALSE)
  suppressWarnings(reference(dir))
  file.copy(file.path(dir, "estimates.csv"), file.path(out, paste0(name, "_estimates.csv")),
            overwrite = TRUE)
  if (length(designs[[name]])) {
    file.copy(file.path(dir, "weights.csv"), file.path(out, paste0(name, "_weights.csv")),
              overwrite = TRUE)
  }
}
