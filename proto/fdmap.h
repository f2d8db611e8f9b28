/*
 * fdmap.h - the worker's file descriptors, fixed at spawn.
 *
 * This is the one place the fd map is written down. The supervisor's spawn
 * code (supervisor/sandbox/spawn.c) dup2()s exactly these and closes every
 * other fd with close_range() before execve(); the worker marks 3..5 close-on-
 * exec as its first act, so nothing it runs (Bash commands) inherits them.
 *
 *   0  /dev/null (stdin)
 *   1  /dev/null (stdout)
 *   2  log pipe to the supervisor (stderr; free text, one line per event)
 *   3  requests: frames from the supervisor (INIT, TOOL_CALL, SHUTDOWN)
 *   4  results: frames to the supervisor (READY, TOOL_RESULT)
 *   5  the project directory (O_DIRECTORY), opened by the supervisor
 */
#ifndef GAO_PROTO_FDMAP_H
#define GAO_PROTO_FDMAP_H

#define FDMAP_LOG 2
#define FDMAP_REQ 3
#define FDMAP_RES 4
#define FDMAP_PROJECT 5
#define FDMAP_COUNT 6 /* fds 0..5 are open; everything above is closed */

/* Worker exit codes the supervisor reports. */
#define FDMAP_EXIT_OK 0
#define FDMAP_EXIT_PROTOCOL 2 /* bad frame or message from the supervisor */
#define FDMAP_EXIT_CONFINE 3  /* a layer the policy requires failed */
#define FDMAP_EXIT_SETUP 4    /* fd map or INIT missing */

#endif
