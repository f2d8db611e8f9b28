# errors.py: the one exception type that turns into an API error response.
#
# Design note: every check in the fake raises ApiError with the HTTP status,
# the Anthropic error type and a message; server.py renders it as
# {"type":"error","error":{"type":T,"message":M},"request_id":"req_..."},
# exactly the real API's shape. Extra headers (retry-after, x-should-retry)
# ride along for injected faults.

# The error type the real API uses for each status it documents.
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_type_for(status):
    """Return the Anthropic error type for an HTTP status (api_error when
    the status has no documented type)."""
    return ERROR_TYPES.get(status, "api_error")


class ApiError(Exception):
    """An error response: status, error type, message and extra headers.

    headers is a list of (name, value) pairs added to the response;
    close asks the server to close the connection after the response (used
    when the request body could not be read, so the stream is out of sync);
    retry_at is the Unix time a retry-after HTTP date names, for the record.
    """

    def __init__(self, status, message, etype=None, headers=None,
                 close=False):
        super().__init__(message)
        self.status = status
        self.etype = etype or error_type_for(status)
        self.message = message
        self.headers = list(headers or [])
        self.close = close
        self.retry_at = None

    def body(self, request_id):
        """Return the JSON-ready error body for this error."""
        return {
            "type": "error",
            "error": {"type": self.etype, "message": self.message},
            "request_id": request_id,
        }


def bad_request(message):
    """Raise a 400 invalid_request_error with message."""
    raise ApiError(400, message)
