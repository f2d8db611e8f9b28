/*
 * msg.h - the messages exchanged by the supervisor and a worker.
 *
 * Design note
 * -----------
 * The supervisor (trusted) and a worker (untrusted once confined) talk over
 * two pipes with frames [u32 big-endian length][msgpack body] (frame.h).
 * Every body is a msgpack map with string keys. The key "type" holds one of
 * enum msg_type; the other keys are exactly the fields of that message's
 * struct below: no key may be missing (unless marked optional), none may be
 * unknown, each must have the exact msgpack type, strings and containers
 * are bounded, and nothing may follow the map. Decoders copy into
 * caller-owned structs, so a frame buffer can be freed right after decoding.
 *
 * The message names carry their direction: S2W = supervisor to worker,
 * W2S = worker to supervisor. Which message is allowed in which state is
 * the receiver's business (see supervisor/sandbox/wconn.c and worker/main.c).
 *
 * Tool inputs and the policy travel inside INIT and TOOL_CALL. A tool input
 * is a JSON object (jansson json_t) converted to a msgpack map and back;
 * only nil, bool, integers, floats, strings, arrays and maps with string
 * keys are allowed, nesting at most CODEC_MAX_DEPTH deep.
 */
#ifndef GAO_PROTO_MSG_H
#define GAO_PROTO_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define PROTO_VERSION 1

/* Limits, checked by the decoders before anything is allocated. */
#define PROTO_FRAME_MAX (8u << 20) /* one frame body, bytes */
#define PROTO_STR_MAX (4u << 20)   /* one string field, bytes */
#define PROTO_ID_MAX 128           /* tool_use ids */
#define PROTO_NAME_MAX 256         /* agent names (a config's limit) */
#define PROTO_PATH_MAX 4096
#define PROTO_LIST_MAX 256 /* entries of a string list */
#define CODEC_MAX_DEPTH 16 /* nesting of a tool input */

enum msg_type {
	MSG_S2W_INIT = 1,
	MSG_W2S_READY = 2,
	MSG_S2W_TOOL_CALL = 3,
	MSG_W2S_TOOL_RESULT = 4,
	MSG_S2W_SHUTDOWN = 5,
};

/* Bits of msg_ready.layers: which isolation layers the worker has. */
enum msg_layer {
	MSG_LAYER_NO_NEW_PRIVS = 1u << 0,
	MSG_LAYER_SECCOMP = 1u << 1,
	MSG_LAYER_LANDLOCK = 1u << 2,
	MSG_LAYER_NS_USER = 1u << 3,
	MSG_LAYER_NS_MOUNT = 1u << 4,
	MSG_LAYER_NS_PID = 1u << 5,
	MSG_LAYER_NS_NET = 1u << 6,
	MSG_LAYER_NS_IPC = 1u << 7,
	MSG_LAYER_NS_UTS = 1u << 8,
	MSG_LAYER_RLIMITS = 1u << 9,
	MSG_LAYER_UNPRIVILEGED_UID = 1u << 10,
	MSG_LAYER_MIN_ROOT = 1u << 11, /* pivoted into a minimal root */
	/* set by the supervisor at spawn: in the run's cgroup (cgroup.h) */
	MSG_LAYER_CGROUP = 1u << 12,
};

/*
 * The policy as the worker needs it: every placeholder already expanded by
 * the supervisor. policy/policy.h converts to and from struct policy.
 */
struct msg_policy {
	char *name;
	char **ro_paths; /* read + execute */
	size_t n_ro;
	char **rw_paths; /* full access (the project dir is implied) */
	size_t n_rw;
	bool net_tcp;           /* outbound TCP allowed */
	bool allow_exec;        /* execve allowed (Bash) */
	bool allow_unix;        /* AF_UNIX sockets allowed */
	bool seccomp_allowlist; /* strict profile: allow-list filter */
	/* execute only beneath ro_paths (system directories): the project
	 * and rw_paths get every right but execute (a service worker) */
	bool exec_ro_only;
	uint64_t cpu_seconds;
	uint64_t memory_bytes;
	uint64_t file_size_bytes;
	uint64_t open_files;
	uint64_t processes;
	uint64_t output_bytes; /* cap on one tool result's content */
	uint32_t timeout_default_ms;
	uint32_t timeout_max_ms;
	uint32_t
		test_disable; /* test builds only: layers to skip (msg_layer) */
};

struct msg_init {
	uint32_t version;  /* PROTO_VERSION */
	char *project_dir; /* absolute path as the agent sees it */
	char *agent;       /* agent name, for logs */
	char **tools;      /* granted tool names */
	size_t n_tools;
	struct msg_policy policy;
};

struct msg_ready {
	uint32_t version;
	int64_t pid;
	int64_t uid;
	uint32_t layers;      /* enum msg_layer bits */
	int32_t landlock_abi; /* 0 when Landlock is unavailable */
};

struct msg_tool_call {
	char *id;            /* the API's tool_use id */
	char *tool;          /* "Read", "Bash", ... */
	json_t *input;       /* a JSON object; owned */
	uint32_t timeout_ms; /* deadline, relative to receipt */
};

/*
 * How long past a call's timeout_ms the supervisor waits for its result
 * before it kills the worker (supervisor/sandbox/wconn.c), background
 * jobs and all. Whatever a tool does besides its timed work must fit in
 * it: Bash's sweeps of leftovers before and after the command and its
 * answer (worker/tool_bash.c checks the sum).
 */
#define PROTO_CALL_GRACE_MS 5000

struct msg_tool_result {
	char *id;
	bool is_error;
	char *content;     /* UTF-8 text, at most policy output_bytes */
	int64_t exit_code; /* Bash exit status; -1 when not applicable */
	uint64_t duration_ms;
	uint64_t bytes; /* size of the full output before capping */
	bool truncated;
};

/* A decoded message of any type. */
struct msg {
	enum msg_type type;
	union {
		struct msg_init init;
		struct msg_ready ready;
		struct msg_tool_call call;
		struct msg_tool_result result;
	} u;
};

/* Decoder errors: each distinct, all negative. */
enum msg_err {
	MSG_OK = 0,
	MSG_E_MALFORMED = -1,     /* not valid msgpack */
	MSG_E_TRAILING = -2,      /* bytes after the top-level map */
	MSG_E_NOT_MAP = -3,       /* body is not a map */
	MSG_E_UNKNOWN_TYPE = -4,  /* "type" missing or unknown */
	MSG_E_UNKNOWN_FIELD = -5, /* a key this message does not have */
	MSG_E_MISSING_FIELD = -6, /* a required key is absent */
	MSG_E_FIELD_TYPE = -7,    /* a field has the wrong msgpack type */
	MSG_E_TOO_LARGE = -8,     /* a string, list or the frame is too big */
	MSG_E_TOO_DEEP = -9,      /* nesting beyond CODEC_MAX_DEPTH */
	MSG_E_DUPLICATE = -10,    /* the same key twice */
	MSG_E_BAD_VALUE = -11,    /* e.g. an empty id, a NUL in a string */
	MSG_E_NOMEM = -12,
};

/* Human-readable name of a msg_err (static storage). */
const char *msg_strerror(int err);

/* Name of a message type ("INIT", ...), or "UNKNOWN". */
const char *msg_type_name(int type);

/*
 * msg_layers_text - the names of the msg_layer bits in layers, comma
 * separated, in one fixed order ("landlock-abiN" for Landlock, with abi),
 * or "none". Always NUL-terminated; cut short when cap is too small.
 */
void msg_layers_text(uint32_t layers, int abi, char *buf, size_t cap);

/*
 * msg_encode - encode *m into a fresh buffer.
 * On success returns 0 and sets *out (malloc'ed, caller frees) and *out_len.
 * Returns MSG_E_TOO_LARGE when the body would exceed PROTO_FRAME_MAX or a
 * field exceeds the limit msg_decode holds it to (so what is sent can be
 * read), MSG_E_BAD_VALUE for an input that cannot be represented,
 * MSG_E_NOMEM.
 */
int msg_encode(const struct msg *m, uint8_t **out, size_t *out_len);

/*
 * msg_decode - strictly decode one frame body.
 * On success returns 0 and fills *m, which the caller releases with
 * msg_clear(). On failure returns a negative enum msg_err and leaves *m
 * cleared (nothing to free).
 */
int msg_decode(const uint8_t *buf, size_t len, struct msg *m);

/* Release what a decoded or hand-built message owns; *m becomes zeroed. */
void msg_clear(struct msg *m);

/* Free a msg_policy's members (not the struct itself). */
void msg_policy_clear(struct msg_policy *p);

#endif
