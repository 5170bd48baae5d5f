/* channel_ttymodes.c: encoded terminal modes (RFC 4254 8, RFC 8160 for IUTF8). The client encodes
 * its termios into pty-req; the server applies them to the new pty. */
#include <termios.h>
#include <unistd.h>

#include "hs_buf.h"
#include "hs_channel.h"

#define TTY_OP_END	0
#define TTY_OP_ISPEED	128
#define TTY_OP_OSPEED	129
#define TTY_OP_LAST_ARG	159	/* opcodes 1..159 carry a uint32; 160..255 stop parsing */
#define TTY_CC_DISABLED	255	/* what goes on the wire for a disabled control character */

enum mode_kind { MODE_CC, MODE_IFLAG, MODE_LFLAG, MODE_OFLAG, MODE_CFLAG, MODE_CSIZE };

/* RFC 4254 8: opcode, which termios field, and the flag bit or c_cc index. */
static const struct {
	uint8_t op;
	enum mode_kind kind;
	unsigned v;
} modes[] = {
	{ 1, MODE_CC, VINTR }, { 2, MODE_CC, VQUIT }, { 3, MODE_CC, VERASE },
	{ 4, MODE_CC, VKILL }, { 5, MODE_CC, VEOF }, { 6, MODE_CC, VEOL },
	{ 7, MODE_CC, VEOL2 }, { 8, MODE_CC, VSTART }, { 9, MODE_CC, VSTOP },
	{ 10, MODE_CC, VSUSP }, { 12, MODE_CC, VREPRINT }, { 13, MODE_CC, VWERASE },
	{ 14, MODE_CC, VLNEXT }, { 18, MODE_CC, VDISCARD },
	{ 30, MODE_IFLAG, IGNPAR }, { 31, MODE_IFLAG, PARMRK }, { 32, MODE_IFLAG, INPCK },
	{ 33, MODE_IFLAG, ISTRIP }, { 34, MODE_IFLAG, INLCR }, { 35, MODE_IFLAG, IGNCR },
	{ 36, MODE_IFLAG, ICRNL }, { 37, MODE_IFLAG, IUCLC }, { 38, MODE_IFLAG, IXON },
	{ 39, MODE_IFLAG, IXANY }, { 40, MODE_IFLAG, IXOFF }, { 41, MODE_IFLAG, IMAXBEL },
	{ 42, MODE_IFLAG, IUTF8 },
	{ 50, MODE_LFLAG, ISIG }, { 51, MODE_LFLAG, ICANON }, { 52, MODE_LFLAG, XCASE },
	{ 53, MODE_LFLAG, ECHO }, { 54, MODE_LFLAG, ECHOE }, { 55, MODE_LFLAG, ECHOK },
	{ 56, MODE_LFLAG, ECHONL }, { 57, MODE_LFLAG, NOFLSH }, { 58, MODE_LFLAG, TOSTOP },
	{ 59, MODE_LFLAG, IEXTEN }, { 60, MODE_LFLAG, ECHOCTL }, { 61, MODE_LFLAG, ECHOKE },
	{ 62, MODE_LFLAG, PENDIN },
	{ 70, MODE_OFLAG, OPOST }, { 71, MODE_OFLAG, OLCUC }, { 72, MODE_OFLAG, ONLCR },
	{ 73, MODE_OFLAG, OCRNL }, { 74, MODE_OFLAG, ONOCR }, { 75, MODE_OFLAG, ONLRET },
	{ 90, MODE_CSIZE, CS7 }, { 91, MODE_CSIZE, CS8 },
	{ 92, MODE_CFLAG, PARENB }, { 93, MODE_CFLAG, PARODD },
};

static const struct {
	uint32_t baud;
	speed_t code;
} speeds[] = {
	{ 0, B0 }, { 50, B50 }, { 75, B75 }, { 110, B110 }, { 134, B134 }, { 150, B150 },
	{ 200, B200 }, { 300, B300 }, { 600, B600 }, { 1200, B1200 }, { 1800, B1800 },
	{ 2400, B2400 }, { 4800, B4800 }, { 9600, B9600 }, { 19200, B19200 }, { 38400, B38400 },
	{ 57600, B57600 }, { 115200, B115200 }, { 230400, B230400 }, { 460800, B460800 },
	{ 921600, B921600 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t
speed_to_baud(speed_t s)
{
	size_t i;

	for (i = 0; i < NELEM(speeds); i++)
		if (speeds[i].code == s)
			return speeds[i].baud;
	return 9600;
}

static bool
baud_to_speed(uint32_t baud, speed_t *out)
{
	size_t i;

	for (i = 0; i < NELEM(speeds); i++) {
		if (speeds[i].baud == baud) {
			*out = speeds[i].code;
			return true;
		}
	}
	return false;
}

static tcflag_t *
mode_field(struct termios *t, enum mode_kind k)
{
	switch (k) {
	case MODE_IFLAG: return &t->c_iflag;
	case MODE_LFLAG: return &t->c_lflag;
	case MODE_OFLAG: return &t->c_oflag;
	default: return &t->c_cflag;
	}
}

static uint32_t
mode_get(const struct termios *t, size_t i)
{
	struct termios tmp = *t;
	tcflag_t f;
	cc_t cc;

	if (modes[i].kind == MODE_CC) {
		cc = tmp.c_cc[modes[i].v];
		return cc == _POSIX_VDISABLE ? TTY_CC_DISABLED : cc;
	}
	f = *mode_field(&tmp, modes[i].kind);
	if (modes[i].kind == MODE_CSIZE)
		return (f & CSIZE) == modes[i].v;
	return (f & modes[i].v) != 0;
}

static void
mode_set(struct termios *t, size_t i, uint32_t arg)
{
	tcflag_t *f;

	if (modes[i].kind == MODE_CC) {
		t->c_cc[modes[i].v] = arg == TTY_CC_DISABLED ? _POSIX_VDISABLE : (cc_t)arg;
		return;
	}
	f = mode_field(t, modes[i].kind);
	if (modes[i].kind == MODE_CSIZE) {
		if (arg)
			*f = (*f & ~(tcflag_t)CSIZE) | modes[i].v;
		return;
	}
	if (arg)
		*f |= modes[i].v;
	else
		*f &= ~(tcflag_t)modes[i].v;
}

hs_err
hs_ttymodes_encode(const struct termios *t, struct hs_buf *out)
{
	size_t i;

	for (i = 0; i < NELEM(modes); i++) {
		HS_GUARD(hs_buf_put_u8(out, modes[i].op));
		HS_GUARD(hs_buf_put_u32(out, mode_get(t, i)));
	}
	HS_GUARD(hs_buf_put_u8(out, TTY_OP_ISPEED));
	HS_GUARD(hs_buf_put_u32(out, speed_to_baud(cfgetispeed(t))));
	HS_GUARD(hs_buf_put_u8(out, TTY_OP_OSPEED));
	HS_GUARD(hs_buf_put_u32(out, speed_to_baud(cfgetospeed(t))));
	return hs_buf_put_u8(out, TTY_OP_END);
}

static void
apply_one(struct termios *t, uint8_t op, uint32_t arg)
{
	speed_t sp;
	size_t i;

	if ((op == TTY_OP_ISPEED || op == TTY_OP_OSPEED) && baud_to_speed(arg, &sp)) {
		if (op == TTY_OP_ISPEED)
			(void)cfsetispeed(t, sp);
		else
			(void)cfsetospeed(t, sp);
		return;
	}
	for (i = 0; i < NELEM(modes); i++) {
		if (modes[i].op == op) {
			mode_set(t, i, arg);
			return;
		}
	}
	/* RFC 4254 8: opcodes we do not know are ignored. */
}

hs_err
hs_ttymodes_decode(const uint8_t *p, size_t len, struct termios *t)
{
	struct hs_buf *b = NULL;
	uint8_t op;
	uint32_t arg;
	hs_err r;

	if (len == 0)
		return HS_OK;
	HS_GUARD(hs_buf_from(p, len, &b));
	for (;;) {
		/* A missing TTY_OP_END at the very end is tolerated. */
		if (hs_buf_len(b) == 0)
			break;
		HS_GUARD_GOTO(hs_buf_get_u8(b, &op), r, out);
		if (op == TTY_OP_END || op > TTY_OP_LAST_ARG)
			break;
		HS_GUARD_GOTO(hs_buf_get_u32(b, &arg), r, out);
		apply_one(t, op, arg);
	}
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}
