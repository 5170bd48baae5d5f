/* test_kex.c: KEXINIT parsing (truncation at every byte, oversized and malformed lists, trailing
 * data, flipped bits), negotiation rules (RFC 4253 7.1), and every KEX method, cipher and MAC
 * against the real OpenSSH 9.2: our client with `sshd -i`, our server with `ssh`. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "hs_algs.h"
#include "hs_log.h"
#include "hs_ssh.h"
#include "hs_transport.h"
#include "kex_impl.h"
#include "transport_impl.h"

#define TMO	20000

static struct hs_key *ed_key;
static char tmpdir[64];

/* A KEXINIT payload (after the type byte) with the given lists. */
static struct hs_buf *
kexinit_payload(const char *const lists[HS_KI_COUNT], bool follows, bool reserved)
{
	struct hs_buf *b;
	static const uint8_t cookie[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

	assert_int_equal(hs_buf_new(1 << 20, &b), HS_OK);
	assert_int_equal(hs_buf_put_bytes(b, cookie, sizeof(cookie)), HS_OK);
	for (size_t i = 0; i < HS_KI_COUNT; i++)
		assert_int_equal(hs_buf_put_cstring(b, lists[i]), HS_OK);
	assert_int_equal(hs_buf_put_bool(b, follows), HS_OK);
	if (reserved)
		assert_int_equal(hs_buf_put_u32(b, 0), HS_OK);
	return b;
}

static const char *const client_lists[HS_KI_COUNT] = {
	"curve25519-sha256,ecdh-sha2-nistp256,ext-info-c,kex-strict-c-v00@openssh.com",
	"ssh-ed25519,rsa-sha2-512", "aes128-ctr,aes256-gcm@openssh.com",
	"chacha20-poly1305@openssh.com,aes128-ctr", "hmac-sha2-256,hmac-sha2-512",
	"hmac-sha2-512-etm@openssh.com,hmac-sha2-512", "none,zlib@openssh.com", "none", "", "",
};

static void
test_parse_ok(void **state)
{
	struct hs_buf *b = kexinit_payload(client_lists, false, true);
	struct hs_kexinit ki;

	assert_int_equal(hs_kexinit_parse(b, &ki), HS_OK);
	assert_int_equal(ki.cookie[15], 16);
	for (size_t i = 0; i < HS_KI_COUNT; i++)
		assert_string_equal(ki.lists[i], client_lists[i]);
	assert_false(ki.first_kex_follows);
	hs_kexinit_clear(&ki);
	hs_buf_free(b);
}

static void
test_parse_truncated_every_byte(void **state)
{
	struct hs_buf *b = kexinit_payload(client_lists, false, true), *v;
	struct hs_kexinit ki;
	size_t n = hs_buf_len(b);

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(hs_buf_from(hs_buf_ptr(b), i, &v), HS_OK);
		assert_int_equal(hs_kexinit_parse(v, &ki), HS_ERR_TRUNCATED);
		for (size_t j = 0; j < HS_KI_COUNT; j++)
			assert_null(ki.lists[j]);
		hs_buf_free(v);
	}
	hs_buf_free(b);
}

static void
test_parse_malformed(void **state)
{
	struct hs_buf *b;
	struct hs_kexinit ki;
	const char *lists[HS_KI_COUNT];
	static const char *const bad[] = { ",a", "a,", "a,,b", "a b", "a\tb", "\x7f" };

	/* Trailing data after the reserved field. */
	b = kexinit_payload(client_lists, false, true);
	assert_int_equal(hs_buf_put_u8(b, 0), HS_OK);
	assert_int_equal(hs_kexinit_parse(b, &ki), HS_ERR_TRAILING);
	hs_buf_free(b);
	/* Reserved field missing. */
	b = kexinit_payload(client_lists, false, false);
	assert_int_equal(hs_kexinit_parse(b, &ki), HS_ERR_TRUNCATED);
	hs_buf_free(b);
	/* Bad name-lists in every position. */
	for (size_t p = 0; p < HS_KI_COUNT; p++) {
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			memcpy(lists, client_lists, sizeof(lists));
			lists[p] = bad[k];
			b = kexinit_payload(lists, false, true);
			assert_int_equal(hs_kexinit_parse(b, &ki), HS_ERR_FORMAT);
			hs_buf_free(b);
		}
	}
}

static void
test_parse_oversized(void **state)
{
	struct hs_buf *b;
	struct hs_kexinit ki;
	const char *lists[HS_KI_COUNT];
	char *big = malloc(HS_KEXINIT_LIST_MAX + 2);
	static const uint8_t huge_len[] = { 0xff, 0xff, 0xff, 0xf0 };

	assert_non_null(big);
	memset(big, 'a', HS_KEXINIT_LIST_MAX + 1);
	big[HS_KEXINIT_LIST_MAX + 1] = '\0';
	memcpy(lists, client_lists, sizeof(lists));
	lists[HS_KI_KEX] = big;
	b = kexinit_payload(lists, false, true);
	assert_int_equal(hs_kexinit_parse(b, &ki), HS_ERR_TOO_LARGE);
	hs_buf_free(b);
	free(big);
	/* A string length far beyond the message. */
	assert_int_equal(hs_buf_new(1024, &b), HS_OK);
	assert_int_equal(hs_buf_put_bytes(b, client_lists[0], 16), HS_OK);
	assert_int_equal(hs_buf_put_bytes(b, huge_len, 4), HS_OK);
	assert_int_equal(hs_kexinit_parse(b, &ki), HS_ERR_TRUNCATED);
	hs_buf_free(b);
}

/* Every single-bit flip either parses or fails cleanly (ASan/UBSan watch the rest). */
static void
test_parse_flipped_bits(void **state)
{
	struct hs_buf *b = kexinit_payload(client_lists, false, true), *v;
	struct hs_kexinit ki;
	size_t n = hs_buf_len(b), ok = 0;
	uint8_t *copy = malloc(n);

	assert_non_null(copy);
	for (size_t i = 0; i < n * 8; i++) {
		memcpy(copy, hs_buf_ptr(b), n);
		copy[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(hs_buf_from(copy, n, &v), HS_OK);
		if (hs_kexinit_parse(v, &ki) == HS_OK) {
			ok++;
			hs_kexinit_clear(&ki);
		}
		hs_buf_free(v);
	}
	/* Cookie bits and most name bytes still parse; length bits do not. */
	assert_true(ok > 128 && ok < n * 8);
	free(copy);
	hs_buf_free(b);
}

static void
parse_lists(const char *const lists[HS_KI_COUNT], bool follows, struct hs_kexinit *ki)
{
	struct hs_buf *b = kexinit_payload(lists, follows, true);

	assert_int_equal(hs_kexinit_parse(b, ki), HS_OK);
	hs_buf_free(b);
}

static void
test_negotiate(void **state)
{
	struct hs_kexinit c, s;
	struct hs_kex_choice ch;
	const char *sl[HS_KI_COUNT] = {
		"ecdh-sha2-nistp256,curve25519-sha256,ext-info-s,kex-strict-s-v00@openssh.com",
		"rsa-sha2-512,ssh-ed25519", "aes256-gcm@openssh.com,aes128-ctr",
		"aes128-ctr,chacha20-poly1305@openssh.com", "hmac-sha2-512,hmac-sha2-256",
		"hmac-sha2-512", "none", "none", "", "",
	};

	parse_lists(client_lists, false, &c);
	parse_lists(sl, false, &s);
	assert_int_equal(hs_kexinit_negotiate(&c, &s, &ch), HS_OK);
	/* The client's preference wins (RFC 4253 7.1). */
	assert_string_equal(ch.kex->name, "curve25519-sha256");
	assert_int_equal(ch.hostkey->sig, HS_SIG_ED25519);
	assert_string_equal(ch.enc[0]->name, "aes128-ctr");
	assert_string_equal(ch.mac[0]->name, "hmac-sha2-256");
	assert_string_equal(ch.enc[1]->name, "chacha20-poly1305@openssh.com");
	assert_null(ch.mac[1]);	/* AEAD: no MAC even though the lists share one */
	assert_true(ch.peer_ext_info);
	assert_true(ch.strict);
	assert_false(ch.guess_wrong);
	hs_kexinit_clear(&s);

	/* Without the server's strict marker there is no strict KEX. */
	sl[HS_KI_KEX] = "curve25519-sha256,ext-info-s";
	parse_lists(sl, true, &s);
	assert_int_equal(hs_kexinit_negotiate(&c, &s, &ch), HS_OK);
	assert_false(ch.strict);
	/* Server guessed: same first kex (curve25519), different first host key: wrong. */
	assert_true(ch.guess_wrong);
	hs_kexinit_clear(&s);

	/* Pseudo-algorithms never match; a list with nothing in common fails and says which. */
	sl[HS_KI_KEX] = "ext-info-c,kex-strict-c-v00@openssh.com,diffie-hellman-group14-sha256";
	parse_lists(sl, false, &s);
	assert_int_equal(hs_kexinit_negotiate(&c, &s, &ch), HS_ERR_NEGOTIATION);
	assert_int_equal(ch.failed, HS_KI_KEX);
	hs_kexinit_clear(&s);
	sl[HS_KI_KEX] = "curve25519-sha256";
	sl[HS_KI_MAC_CTOS] = "hmac-sha2-512-etm@openssh.com";
	parse_lists(sl, false, &s);
	assert_int_equal(hs_kexinit_negotiate(&c, &s, &ch), HS_ERR_NEGOTIATION);
	assert_int_equal(ch.failed, HS_KI_MAC_CTOS);
	assert_string_equal(ch.failed_what, "MAC");
	hs_kexinit_clear(&s);
	sl[HS_KI_MAC_CTOS] = "hmac-sha2-256";
	sl[HS_KI_COMP_STOC] = "zlib";
	parse_lists(sl, false, &s);
	assert_int_equal(hs_kexinit_negotiate(&c, &s, &ch), HS_ERR_NEGOTIATION);
	assert_int_equal(ch.failed, HS_KI_COMP_STOC);
	hs_kexinit_clear(&s);
	hs_kexinit_clear(&c);
}

/* ---- OpenSSH interop ---- */

static bool
have(const char *path)
{
	return access(path, X_OK) == 0;
}

/* Our client against `sshd -i` (or `dropbear -i`) on a socketpair: handshake, ssh-userauth service,
 * two "none" userauth requests answered with FAILURE. (OpenSSH refuses a rekey before
 * authentication on both sides, so our own peers test rekeying in test_transport.c.) */
static void
client_vs_server(bool dropbear, const char *kex, const char *cipher, const char *mac)
{
	int sv[2], st;
	pid_t pid;
	char o_kex[128], o_cip[128], o_mac[128], hk[128];
	struct hs_transport_cfg c = { .server = false, .kex_algs = kex, .ciphers = cipher,
	    .macs = mac };
	struct hs_transport *t;
	struct hs_buf *b, *m = NULL;
	uint8_t type;
	uint64_t kc;

	snprintf(o_kex, sizeof(o_kex), "KexAlgorithms=%s", kex);
	snprintf(o_cip, sizeof(o_cip), "Ciphers=%s", cipher);
	snprintf(o_mac, sizeof(o_mac), "MACs=%s", mac ? mac : "hmac-sha2-256");
	snprintf(hk, sizeof(hk), "%s/%s", tmpdir, dropbear ? "dbhk" : "hk");
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if ((pid = fork()) == 0) {
		dup2(sv[1], 0);
		dup2(sv[1], 1);
		close(sv[0]);
		if (dropbear)
			execl("/usr/sbin/dropbear", "dropbear", "-i", "-r", hk, (char *)NULL);
		else
			execl("/usr/sbin/sshd", "sshd", "-i", "-f", "/dev/null", "-h", hk, "-o",
			    o_kex, "-o", o_cip, "-o", o_mac, "-o", "LogLevel=QUIET", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	assert_int_equal(hs_transport_new(sv[0], sv[0], &c, &t), HS_OK);
	assert_int_equal(hs_transport_handshake(t, TMO), HS_OK);
	assert_non_null(strstr(hs_transport_peer_version(t), dropbear ? "dropbear" : "OpenSSH"));
	assert_true(t->strict);	/* Debian's OpenSSH 9.2 and Dropbear 2022.83 have kex-strict-s */
	assert_int_equal(hs_buf_new(1024, &b), HS_OK);
	assert_int_equal(hs_buf_put_u8(b, HS_MSG_SERVICE_REQUEST), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, "ssh-userauth"), HS_OK);
	assert_int_equal(hs_transport_send(t, b), HS_OK);
	assert_int_equal(hs_transport_wait(t, TMO, &type, &m), HS_OK);
	assert_int_equal(type, HS_MSG_SERVICE_ACCEPT);
	hs_buf_free(m);
	if (!dropbear) {
		assert_non_null(hs_transport_server_sig_algs(t));
		assert_non_null(strstr(hs_transport_server_sig_algs(t), "ssh-ed25519"));
	}
	for (int round = 0; round < 2; round++) {
		hs_buf_reset(b);
		assert_int_equal(hs_buf_put_u8(b, HS_MSG_USERAUTH_REQUEST), HS_OK);
		assert_int_equal(hs_buf_put_cstring(b, "nobody"), HS_OK);
		assert_int_equal(hs_buf_put_cstring(b, "ssh-connection"), HS_OK);
		assert_int_equal(hs_buf_put_cstring(b, "none"), HS_OK);
		assert_int_equal(hs_transport_send(t, b), HS_OK);
		assert_int_equal(hs_transport_wait(t, TMO, &type, &m), HS_OK);
		assert_int_equal(type, HS_MSG_USERAUTH_FAILURE);
		hs_buf_free(m);
	}
	hs_transport_stats(t, NULL, NULL, &kc);
	assert_int_equal(kc, 1);
	hs_transport_disconnect(t, HS_DISC_BY_APPLICATION, "done");
	hs_buf_free(b);
	hs_transport_free(t);
	close(sv[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

static void
test_openssh_server(void **state)
{
	const char *kex = hs_algs_default(HS_ALGS_KEX), *ciphers = hs_algs_default(HS_ALGS_CIPHER);
	const char *macs = hs_algs_default(HS_ALGS_MAC);
	char a[64], b[64];

	if (!have("/usr/sbin/sshd"))
		skip();
	/* Every KEX method with the default cipher, every cipher and MAC with the default KEX. */
	for (const char *p = kex; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		snprintf(a, sizeof(a), "%.*s", (int)strcspn(p, ","), p);
		client_vs_server(false, a, "aes128-ctr", "hmac-sha2-256-etm@openssh.com");
	}
	for (const char *p = ciphers; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		snprintf(a, sizeof(a), "%.*s", (int)strcspn(p, ","), p);
		for (const char *q = macs; *q; q += strcspn(q, ",") + (q[strcspn(q, ",")] == ',')) {
			snprintf(b, sizeof(b), "%.*s", (int)strcspn(q, ","), q);
			client_vs_server(false, "curve25519-sha256", a, b);
			if (hs_algs_cipher_find(a, strlen(a))->aead)
				break;
		}
	}
}

/* Our server (in a child, on a loopback port) against `ssh -v`: the KEX, our EXT_INFO, and the
 * "none" userauth answered with FAILURE all decode on OpenSSH's side. */
static void
server_child(int lfd, const char *kex, const char *cipher, const char *mac)
{
	struct hs_transport_cfg c = { .server = true, .kex_algs = kex, .ciphers = cipher,
	    .macs = mac, .hostkeys = &ed_key, .n_hostkeys = 1 };
	struct hs_transport *t;
	struct hs_buf *m = NULL, *b = NULL;
	uint8_t type;
	hs_err r;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0 || hs_transport_new(fd, fd, &c, &t) != HS_OK)
		_exit(2);
	if (hs_transport_handshake(t, TMO) != HS_OK)
		_exit(3);
	if (hs_transport_wait(t, TMO, &type, &m) != HS_OK || type != HS_MSG_SERVICE_REQUEST)
		_exit(4);
	if (hs_buf_new(1024, &b) != HS_OK || hs_buf_put_u8(b, HS_MSG_SERVICE_ACCEPT) != HS_OK ||
	    hs_buf_put_buf(b, m) != HS_OK || hs_transport_send(t, b) != HS_OK)
		_exit(5);
	hs_buf_free(m);
	if (hs_transport_wait(t, TMO, &type, &m) != HS_OK || type != HS_MSG_USERAUTH_REQUEST)
		_exit(6);
	hs_buf_reset(b);
	if (hs_buf_put_u8(b, HS_MSG_USERAUTH_FAILURE) != HS_OK ||
	    hs_buf_put_cstring(b, "publickey") != HS_OK || hs_buf_put_bool(b, false) != HS_OK ||
	    hs_transport_send(t, b) != HS_OK)
		_exit(7);
	/* ssh gives up and closes (with or without a DISCONNECT). */
	r = hs_transport_wait(t, TMO, &type, &m);
	_exit(r == HS_ERR_DISCONNECT || r == HS_ERR_EOF ? 0 : 8);
}

/* A server child on a loopback port for a client command; returns the listening port. */
static pid_t
spawn_tcp_server(const char *kex, const char *cipher, const char *mac, unsigned *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	if ((pid = fork()) == 0)
		server_child(lfd, kex, cipher, mac);
	close(lfd);
	*port = ntohs(sa.sin_port);
	return pid;
}

static int
run_client(const char *cmd, char *out, size_t n)
{
	FILE *f = popen(cmd, "r");
	size_t got;

	assert_non_null(f);
	got = fread(out, 1, n - 1, f);
	out[got] = '\0';
	return pclose(f);
}

static void
ssh_vs_server(const char *kex, const char *cipher, const char *mac)
{
	unsigned port;
	pid_t pid = spawn_tcp_server(kex, cipher, mac, &port);
	char cmd[1024], out[65536];
	int st;

	snprintf(cmd, sizeof(cmd), "/usr/bin/ssh -v -F /dev/null -p %u -o BatchMode=yes "
	    "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
	    "-o PubkeyAuthentication=no -o KexAlgorithms=%s -o Ciphers=%s -o MACs=%s "
	    "nobody@127.0.0.1 true 2>&1",
	    port, kex, cipher, mac ? mac : "hmac-sha2-256");
	run_client(cmd, out, sizeof(out));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "server exit %d; ssh said:\n%s\n", WEXITSTATUS(st), out);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_non_null(
	    strstr(out, "Remote protocol version 2.0, remote software version hardssh_0.1"));
	assert_non_null(strstr(out, "kex: algorithm: "));
	assert_non_null(strstr(out, kex));
	assert_non_null(strstr(out, "server-sig-algs=<ssh-ed25519,"));
	assert_non_null(strstr(out, "Authentications that can continue: publickey"));
}

static void
test_openssh_client(void **state)
{
	const char *kex = hs_algs_default(HS_ALGS_KEX), *ciphers = hs_algs_default(HS_ALGS_CIPHER);
	const char *macs = hs_algs_default(HS_ALGS_MAC);
	char a[64], b[64];

	if (!have("/usr/bin/ssh"))
		skip();
	for (const char *p = kex; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		snprintf(a, sizeof(a), "%.*s", (int)strcspn(p, ","), p);
		ssh_vs_server(a, "aes256-ctr", "hmac-sha2-512");
	}
	for (const char *p = ciphers; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		snprintf(a, sizeof(a), "%.*s", (int)strcspn(p, ","), p);
		for (const char *q = macs; *q; q += strcspn(q, ",") + (q[strcspn(q, ",")] == ',')) {
			snprintf(b, sizeof(b), "%.*s", (int)strcspn(q, ","), q);
			ssh_vs_server("curve25519-sha256", a, b);
			if (hs_algs_cipher_find(a, strlen(a))->aead)
				break;
		}
	}
}

/* Our client against `dropbear -i`: every KEX method Dropbear 2022.83 has, and its ciphers. */
static void
test_dropbear_server(void **state)
{
	static const char *const kex[] = { "curve25519-sha256", "curve25519-sha256@libssh.org",
	    "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
	    "diffie-hellman-group14-sha256" };

	if (!have("/usr/sbin/dropbear"))
		skip();
	for (size_t i = 0; i < sizeof(kex) / sizeof(kex[0]); i++)
		client_vs_server(true, kex[i], "aes128-ctr", "hmac-sha2-256");
	client_vs_server(true, "curve25519-sha256", "aes256-ctr", "hmac-sha2-256");
	client_vs_server(true, "curve25519-sha256", "chacha20-poly1305@openssh.com", NULL);
}

/* dbclient against our server: Dropbear guesses its first KEX packet (first_kex_packet_follows,
 * "kexguess2"), which is right here, so it must be used, not skipped. */
static void
test_dropbear_client(void **state)
{
	static const char *const ciphers[] = { "aes128-ctr", "aes256-ctr",
	    "chacha20-poly1305@openssh.com" };
	char cmd[512], out[8192];
	unsigned port;
	pid_t pid;
	int st;

	if (!have("/usr/bin/dbclient"))
		skip();
	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		pid = spawn_tcp_server(NULL, NULL, NULL, &port);
		snprintf(cmd, sizeof(cmd), "HOME=%s /usr/bin/dbclient -y -y -T -c %s "
		    "-m hmac-sha2-256 -p %u nobody@127.0.0.1 true </dev/null 2>&1", tmpdir,
		    ciphers[i], port);
		run_client(cmd, out, sizeof(out));
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fprintf(stderr, "server exit %d; dbclient said:\n%s\n", WEXITSTATUS(st),
			    out);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

/* paramiko 2.12 (no strict KEX: the non-strict path with a real peer) against our server. */
static void
test_paramiko_client(void **state)
{
	static const char *const kex[] = { "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
	    "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group16-sha512",
	    "diffie-hellman-group14-sha256" };
	static const char script[] =
	    "import socket,sys,paramiko\n"
	    "s=socket.create_connection(('127.0.0.1',int(sys.argv[1])))\n"
	    "t=paramiko.Transport(s)\n"
	    "o=t.get_security_options()\n"
	    "o.kex=[sys.argv[2]]\n"
	    "o.ciphers=[sys.argv[3]]\n"
	    "o.digests=[sys.argv[4]]\n"
	    "t.start_client(timeout=20)\n"
	    "try:\n"
	    "    t.auth_none('nobody')\n"
	    "except paramiko.BadAuthenticationType as e:\n"
	    "    print('ALLOWED', e.allowed_types, t.remote_version, t.host_key.get_name())\n"
	    "t.close()\n";
	static const char want[] = "ALLOWED ['publickey'] SSH-2.0-hardssh_0.1 ssh-ed25519";
	char cmd[2048], out[8192], path[128];
	unsigned port;
	pid_t pid;
	int st;
	FILE *f;

	if (system("/usr/bin/python3 -c 'import paramiko' 2>/dev/null") != 0)
		skip();
	snprintf(path, sizeof(path), "%s/pm.py", tmpdir);
	assert_non_null(f = fopen(path, "w"));
	fputs(script, f);
	fclose(f);
	for (size_t i = 0; i < sizeof(kex) / sizeof(kex[0]) + 2; i++) {
		const char *k = i < 6 ? kex[i] : "ecdh-sha2-nistp256";
		const char *c = i == 6 ? "aes192-ctr" : "aes256-ctr";
		const char *m = i == 7 ? "hmac-sha2-256" : "hmac-sha2-512";

		pid = spawn_tcp_server(NULL, NULL, NULL, &port);
		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %u %s %s %s 2>&1", path, port, k, c,
		    m);
		assert_int_equal(run_client(cmd, out, sizeof(out)), 0);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (strstr(out, want) == NULL)
			fprintf(stderr, "paramiko said:\n%s\n", out);
		assert_non_null(strstr(out, want));
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

static int
setup(void **state)
{
	char cmd[256];

	hs_log_init("test_kex", getenv("HS_TEST_DEBUG") ? HS_LOG_DEBUG3 : HS_LOG_QUIET, true, 0);
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_kex.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N '' -f %s/hk >/dev/null", tmpdir);
	if (system(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "dropbearkey -t ed25519 -f %s/dbhk >/dev/null 2>&1", tmpdir);
	if (have("/usr/bin/dropbearkey") && system(cmd) != 0)
		return -1;
	return hs_key_generate(HS_KEY_ED25519, 0, &ed_key) == HS_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return -1;
	hs_key_free(ed_key);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_truncated_every_byte),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_oversized),
		cmocka_unit_test(test_parse_flipped_bits),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_openssh_server),
		cmocka_unit_test(test_openssh_client),
		cmocka_unit_test(test_dropbear_server),
		cmocka_unit_test(test_dropbear_client),
		cmocka_unit_test(test_paramiko_client),
	};

	alarm(900);
	return cmocka_run_group_tests(tests, setup, teardown);
}
