package io.sqsbrowser.api;

/** An error answered to the caller as {@code {"success": false, "message": ...}}; the message is safe to show. */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    public ApiException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, message);
    }
}
