package dev.moe4j;

/** A native kernel returned an error status. The message names the call and the status. */
public final class KernelException extends Moe4jException {
    private static final long serialVersionUID = 1L;

    /** The negative status code the native call returned. */
    private final int status;

    KernelException(String call, int status, String statusName) {
        super(call + " failed: " + statusName + " (status " + status + ")");
        this.status = status;
    }

    /**
     * The negative status code the native call returned.
     *
     * @return the status code
     */
    public int status() {
        return status;
    }
}
