/* sandbox_testhooks_off.c: the normal build's hs_sandbox_test_trigger, which does nothing
 * (sandbox_testhooks.c replaces this file with -DHS_SANDBOX_TEST_HOOKS=ON). */
#include "hs_sandbox.h"

void
hs_sandbox_test_trigger(void)
{
}
