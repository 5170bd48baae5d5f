/* sandbox_testhooks_off.c: the normal build's test hooks, which do nothing, whatever the
 * environment or a client's user name says (sandbox_testhooks.c replaces this file with
 * -DHS_SANDBOX_TEST_HOOKS=ON). */
#include "hs_sandbox.h"

void
hs_sandbox_test_trigger(void)
{
}

void
hs_sandbox_test_trigger_name(const char *name)
{
	(void)name;
}
