/* hs_channel.h: the channel layer of the connection protocol (RFC 4254 5): a table of channels per
 * connection, open/confirm/failure, flow control with windows, data and extended data, EOF and
 * CLOSE, channel and global requests. The session code (session_*.c) sits on top and supplies
 * callbacks; the channel layer itself does no process handling.
 *
 * Nothing here touches the transport directly: messages leave through conn->send, so unit tests
 * drive the state machine with hand-built buffers through hs_conn_dispatch().
 */
#ifndef HS_CHANNEL_H
#define HS_CHANNEL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_buf.h"
#include "hs_err.h"

/* OpenSSH's defaults for a session channel: 2 MiB window, 32 KiB packets. */
#define HS_CHAN_WINDOW_DEFAULT	(2u * 1024 * 1024)
#define HS_CHAN_PACKET_DEFAULT	(32u * 1024)
#define HS_CHAN_MAX		16	/* channels per connection */
#define HS_CHAN_MIN_PACKET	64	/* a peer max packet below this is refused */

enum hs_chan_state {
	HS_CHAN_FREE = 0,
	HS_CHAN_OPENING,	/* we sent CHANNEL_OPEN, no answer yet */
	HS_CHAN_OPEN,
};

/* Channel flags (RFC 4254 5.3). A channel is freed only when close was sent and received. */
#define HS_CHAN_EOF_SENT	0x01u
#define HS_CHAN_EOF_RCVD	0x02u
#define HS_CHAN_CLOSE_SENT	0x04u
#define HS_CHAN_CLOSE_RCVD	0x08u

struct hs_conn;
struct hs_channel;

/* Callbacks of one channel's owner. Any may be NULL. */
struct hs_channel_ops {
	/* A CHANNEL_REQUEST of the given type; msg is positioned after want_reply. Set *ok to answer
	 * SUCCESS/FAILURE (when want_reply). A returned failure is fatal for the connection. */
	hs_err (*request)(struct hs_channel *ch, const char *type, bool want_reply,
	    struct hs_buf *msg, bool *ok);
	/* Our CHANNEL_OPEN was confirmed (ok) or refused (reason, RFC 4254 5.1). */
	hs_err (*open_result)(struct hs_channel *ch, bool ok, uint32_t reason);
	/* CHANNEL_SUCCESS / CHANNEL_FAILURE for one of our want_reply requests, in order. */
	hs_err (*reply)(struct hs_channel *ch, bool success);
	/* The channel is about to be freed: release ctx. Fds still attached are closed after. */
	void (*release)(struct hs_channel *ch);
};

struct hs_channel {
	struct hs_conn *conn;
	enum hs_chan_state state;
	unsigned flags;
	uint32_t local_id;
	uint32_t remote_id;
	/* Our receive side: bytes the peer may still send, the window we grant, bytes consumed since
	 * the last WINDOW_ADJUST, the largest packet we accept. */
	uint32_t local_window;
	uint32_t local_window_max;
	uint32_t local_consumed;
	uint32_t local_maxpacket;
	/* The peer's receive side. */
	uint32_t remote_window;
	uint32_t remote_maxpacket;
	/* Local fds pumped by channel_io.c; -1 when absent or closed. rfd feeds DATA, wfd receives
	 * DATA. efd either feeds EXTENDED_DATA (server: the child's stderr) or, with efd_write,
	 * receives it (client: our stderr). */
	int rfd, wfd, efd;
	bool efd_write;
	bool attached;		/* fds were attached; EOF is sent once every source is closed */
	bool no_close;		/* fds belong to someone else (the client's stdio): never close() */
	bool tty;		/* rfd == wfd is a pty master: EIO on read means EOF */
	bool drain_then_eof;	/* treat EAGAIN on rfd as EOF (the pty's child exited) */
	bool hold_eof;		/* the owner sends EOF itself (server: after exit-status, since
				 * Dropbear's client closes once EOF has gone both ways) */
	bool wfd_failed;	/* writing to wfd failed (EPIPE): its data is being discarded */
	struct hs_buf *wbuf;	/* DATA waiting for wfd */
	struct hs_buf *ebuf;	/* EXTENDED_DATA waiting for efd (efd_write) */
	unsigned pending_replies;	/* our want_reply requests not yet answered */
	int pfd_idx[3];		/* index into the poll array for rfd, wfd, efd, or -1 */
	const struct hs_channel_ops *ops;
	void *ctx;
	char type[32];
};

struct hs_conn {
	/* Queue one message (payload starting with its type byte). */
	hs_err (*send)(void *arg, const struct hs_buf *payload);
	void *send_arg;
	/* A CHANNEL_OPEN from the peer, ch allocated with the peer's ids and window filled in; msg is
	 * positioned after the common fields. Return HS_OK and set ch->ops/ctx to accept; else set
	 * *reason (RFC 4254 5.1) and return HS_ERR_UNSUPPORTED to refuse. NULL refuses all. */
	hs_err (*open)(void *arg, struct hs_channel *ch, const char *type, struct hs_buf *msg,
	    uint32_t *reason);
	void *open_arg;
	/* Set whenever any message arrives from the peer (ClientAlive/ServerAlive); cleared by the
	 * session loop. */
	bool got_msg;
	struct hs_channel ch[HS_CHAN_MAX];
};

/* Set up c with a send function; no channels. */
void hs_conn_init(struct hs_conn *c, hs_err (*send)(void *, const struct hs_buf *), void *arg);
/* Free every channel (closing owned fds). */
void hs_conn_cleanup(struct hs_conn *c);
/* Number of channels not free. */
size_t hs_conn_nchannels(const struct hs_conn *c);
/* The channel with local id id, or NULL. */
struct hs_channel *hs_conn_channel(struct hs_conn *c, uint32_t id);

/* Handle one connection-protocol message (msg positioned after the type byte). HS_ERR_PROTOCOL
 * (or a parse error) means the connection must be torn down; the reason was logged. */
HS_MUST_USE hs_err hs_conn_dispatch(struct hs_conn *c, uint8_t type, struct hs_buf *msg);

/* Free channels whose close was both sent and received. */
void hs_conn_gc(struct hs_conn *c);

/* Open a channel of type (e.g. "session"): allocate it and send CHANNEL_OPEN with our window and
 * max packet. *out is the new channel (state OPENING). */
HS_MUST_USE hs_err hs_chan_open(struct hs_conn *c, const char *type,
    const struct hs_channel_ops *ops, void *ctx, struct hs_channel **out);

/* Send a CHANNEL_REQUEST; body (may be NULL) holds the type-specific fields. With want_reply the
 * answer arrives through ops->reply. */
HS_MUST_USE hs_err hs_chan_request(struct hs_channel *ch, const char *type, bool want_reply,
    const struct hs_buf *body);
/* Send DATA (ext == 0) or EXTENDED_DATA (ext = data type code). len must fit the peer's window and
 * max packet (HS_ERR_INTERNAL otherwise); the window is debited. */
HS_MUST_USE hs_err hs_chan_send_data(struct hs_channel *ch, uint32_t ext, const uint8_t *p,
    size_t len);
/* Send EOF / CLOSE once (later calls do nothing). */
HS_MUST_USE hs_err hs_chan_send_eof(struct hs_channel *ch);
HS_MUST_USE hs_err hs_chan_send_close(struct hs_channel *ch);
/* Credit n consumed bytes to our window; sends WINDOW_ADJUST once half the window is used. */
HS_MUST_USE hs_err hs_chan_consumed(struct hs_channel *ch, size_t n);
/* Largest DATA payload we may send now (min of the peer's window and max packet). */
size_t hs_chan_send_room(const struct hs_channel *ch);

/* ---- channel_io.c: pumping local fds ---- */

/* Attach fds (made non-blocking; -1 for none). The channel owns and closes them unless no_close. */
HS_MUST_USE hs_err hs_chan_attach(struct hs_channel *ch, int rfd, int wfd, int efd, bool efd_write,
    bool no_close);
/* True once every attached source fd has reached end of file and been closed. */
bool hs_chan_sources_done(const struct hs_channel *ch);
/* Append the pollfds the channels need to pfd (capacity cap) starting at *n. */
void hs_conn_pollfds(struct hs_conn *c, struct pollfd *pfd, size_t cap, size_t *n);
/* Act on the poll results: read sources into DATA, write queued data out, send EOF when every
 * source is closed, close wfd after the peer's EOF. */
HS_MUST_USE hs_err hs_conn_service(struct hs_conn *c, const struct pollfd *pfd, size_t n);

/* ---- channel_req.c: CHANNEL_REQUEST bodies (RFC 4254 6) ---- */

enum hs_chanreq_type {
	HS_REQ_UNKNOWN = 0,
	HS_REQ_PTY,
	HS_REQ_ENV,
	HS_REQ_EXEC,
	HS_REQ_SHELL,
	HS_REQ_SUBSYSTEM,
	HS_REQ_WINDOW_CHANGE,
	HS_REQ_SIGNAL,
	HS_REQ_EXIT_STATUS,
	HS_REQ_EXIT_SIGNAL,
	HS_REQ_BREAK,
};

/* A parsed request body. Strings are NUL-terminated copies owned by the struct. */
struct hs_chanreq {
	enum hs_chanreq_type type;
	char *term;			/* pty-req */
	uint32_t cols, rows, width_px, height_px;	/* pty-req, window-change */
	uint8_t *modes;			/* pty-req encoded terminal modes (RFC 4254 8) */
	size_t modes_len;
	char *name, *value;		/* env */
	char *command;			/* exec; subsystem name */
	char *signame;			/* signal, exit-signal: without "SIG" */
	bool core_dumped;		/* exit-signal */
	char *errmsg, *lang;		/* exit-signal */
	uint32_t exit_status;		/* exit-status */
	uint32_t break_ms;		/* break (RFC 4335) */
};

/* Parse the body of a request named type from msg (positioned after want_reply), requiring the end
 * of msg. Unknown types give HS_OK with out->type HS_REQ_UNKNOWN and msg untouched. On failure out
 * holds nothing (already freed). */
HS_MUST_USE hs_err hs_chanreq_parse(const char *type, struct hs_buf *msg, struct hs_chanreq *out);
void hs_chanreq_free(struct hs_chanreq *r);

/* Signal names as in RFC 4254 6.10 (no "SIG" prefix) <-> numbers. 0 / NULL if unknown. */
int hs_signal_from_name(const char *name);
const char *hs_signal_name(int sig);

/* ---- channel_ttymodes.c: encoded terminal modes (RFC 4254 8) ---- */

struct termios;
/* Append the modes of t to out, ending with TTY_OP_END. */
HS_MUST_USE hs_err hs_ttymodes_encode(const struct termios *t, struct hs_buf *out);
/* Apply encoded modes to t. Opcodes we do not know (1..159) are skipped; an opcode of 160..255
 * stops parsing (RFC 4254 8). HS_ERR_TRUNCATED if an argument is cut short. */
HS_MUST_USE hs_err hs_ttymodes_decode(const uint8_t *p, size_t len, struct termios *t);

#endif
