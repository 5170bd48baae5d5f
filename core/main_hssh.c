/* main_hssh.c: the hssh client program; everything lives in the hs_client layer, except
 * --self-test (issue 6), which needs no configuration. */
#include "client_impl.h"
#include "hs_fips.h"
#include "hs_log.h"

int
main(int argc, char **argv)
{
	int status;

	hs_log_init(HS_PROGNAME, HS_LOG_INFO, true, 0);
	if ((status = hs_fips_self_test_cmd(argc, argv, HS_PROGNAME)) >= 0)
		return status;
	return hs_client_main(argc, argv);
}
