/* main_hssh.c: the hssh client program; everything lives in the hs_client layer. */
#include "client_impl.h"

int
main(int argc, char **argv)
{
	return hs_client_main(argc, argv);
}
