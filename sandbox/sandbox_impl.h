/* sandbox_impl.h: shared between the sandbox/ files only. */
#ifndef HS_SANDBOX_IMPL_H
#define HS_SANDBOX_IMPL_H

#include <stdbool.h>

/* True once hs_sandbox_sigsys_report has installed the SIGSYS reporter in this process. */
bool hs_sandbox_sigsys_reporting(void);

#endif
