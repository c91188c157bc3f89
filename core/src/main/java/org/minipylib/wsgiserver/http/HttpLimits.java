package org.minipylib.wsgiserver.http;

/**
 * Size limits on what a client may send. Every limit has a safe default ({@link #defaults()}).
 *
 * @param maxRequestLineLength    longest request line in bytes, without CRLF (else 414)
 * @param maxHeaderSectionSize    largest header section in bytes: all field lines with their line ends, not the
 *                                empty line that ends the head (else 431);
 *                                also bounds a chunked body's trailer section (else 431)
 * @param maxHeaderCount          most header fields in one request (else 431)
 * @param maxBodySize             largest request body in bytes, declared or chunked (else 413)
 * @param maxDrainSize            how much of a body the application left unread the server reads
 *                                and discards to keep the connection; beyond it the connection closes
 * @param maxChunkExtensionLength longest chunk-extension part of one chunk-size line (else 400)
 * @param compliance              which deviations from RFC 9112 the parser accepts (default: none)
 * @param maxPipelinedRequestsPerTurn
 *                                how many requests of one connection whose heads are already buffered
 *                                (pipelining) are served in one worker turn; then the connection flushes
 *                                its responses and waits for a turn again, behind requests already waiting,
 *                                so one client cannot keep a worker to itself. The bytes a connection
 *                                buffers are bounded by {@link #maxHeadSize()} anyway.
 * @param maxHeadMemory           the most bytes of request heads one server holds beyond each connection's
 *                                first 2 KiB of input buffer, over all its connections (see
 *                                {@link HeadMemoryBudget}): a head that needs more while the others hold
 *                                it all is answered 503 and its connection closed, so that many clients
 *                                sending long heads slowly cannot fill the heap. Default
 *                                {@link #DEFAULT_MAX_HEAD_MEMORY}: a quarter of the JVM's maximum heap
 */
public record HttpLimits(int maxRequestLineLength, int maxHeaderSectionSize, int maxHeaderCount,
                         long maxBodySize, long maxDrainSize, int maxChunkExtensionLength,
                         HttpCompliance compliance, int maxPipelinedRequestsPerTurn, long maxHeadMemory) {

    /** The default of {@link #maxPipelinedRequestsPerTurn()}. */
    public static final int DEFAULT_MAX_PIPELINED_REQUESTS_PER_TURN = 64;

    /** The default of {@link #maxHeadMemory()}: a quarter of this JVM's maximum heap ({@link Runtime#maxMemory()}). */
    public static final long DEFAULT_MAX_HEAD_MEMORY = Math.max(1, Runtime.getRuntime().maxMemory() / 4);

    /**
     * The most {@link #maxRequestLineLength()} and {@link #maxHeaderSectionSize()} may add up to: a
     * request head, with its line ends and a little slack, must fit in one Java array.
     */
    public static final int MAX_LINE_AND_SECTION = Integer.MAX_VALUE - 64;

    public HttpLimits {
        java.util.Objects.requireNonNull(compliance, "compliance");
        positive(maxRequestLineLength, "maxRequestLineLength");
        positive(maxHeaderSectionSize, "maxHeaderSectionSize");
        if ((long) maxRequestLineLength + maxHeaderSectionSize > MAX_LINE_AND_SECTION) { // the head is one array
            throw new IllegalArgumentException("maxRequestLineLength + maxHeaderSectionSize must be at most "
                    + MAX_LINE_AND_SECTION + " (a request head is held in one array), got "
                    + maxRequestLineLength + " + " + maxHeaderSectionSize);
        }
        positive(maxHeaderCount, "maxHeaderCount");
        positive(maxBodySize, "maxBodySize");
        if (maxDrainSize < 0) throw new IllegalArgumentException("maxDrainSize must be >= 0");
        positive(maxChunkExtensionLength, "maxChunkExtensionLength");
        positive(maxPipelinedRequestsPerTurn, "maxPipelinedRequestsPerTurn");
        positive(maxHeadMemory, "maxHeadMemory");
    }

    /** Limits with the default {@link #maxHeadMemory()}. */
    public HttpLimits(int maxRequestLineLength, int maxHeaderSectionSize, int maxHeaderCount,
                      long maxBodySize, long maxDrainSize, int maxChunkExtensionLength,
                      HttpCompliance compliance, int maxPipelinedRequestsPerTurn) {
        this(maxRequestLineLength, maxHeaderSectionSize, maxHeaderCount, maxBodySize, maxDrainSize,
                maxChunkExtensionLength, compliance, maxPipelinedRequestsPerTurn, DEFAULT_MAX_HEAD_MEMORY);
    }

    /** Limits with the default {@link #maxPipelinedRequestsPerTurn()} and {@link #maxHeadMemory()}. */
    public HttpLimits(int maxRequestLineLength, int maxHeaderSectionSize, int maxHeaderCount,
                      long maxBodySize, long maxDrainSize, int maxChunkExtensionLength, HttpCompliance compliance) {
        this(maxRequestLineLength, maxHeaderSectionSize, maxHeaderCount, maxBodySize, maxDrainSize,
                maxChunkExtensionLength, compliance, DEFAULT_MAX_PIPELINED_REQUESTS_PER_TURN);
    }

    /** Limits with {@linkplain HttpCompliance#strict() strict} parsing. */
    public HttpLimits(int maxRequestLineLength, int maxHeaderSectionSize, int maxHeaderCount,
                      long maxBodySize, long maxDrainSize, int maxChunkExtensionLength) {
        this(maxRequestLineLength, maxHeaderSectionSize, maxHeaderCount, maxBodySize, maxDrainSize,
                maxChunkExtensionLength, HttpCompliance.strict());
    }

    /**
     * 8 KiB request line, 32 KiB headers, 100 fields, 64 MiB body, 64 KiB drain, 1 KiB extensions, strict parsing,
     * 64 pipelined requests per turn, a quarter of the heap for long request heads.
     */
    public static HttpLimits defaults() {
        return new HttpLimits(8 * 1024, 32 * 1024, 100, 64L * 1024 * 1024, 64 * 1024, 1024);
    }

    public HttpLimits withMaxRequestLineLength(int v) {
        return new HttpLimits(v, maxHeaderSectionSize, maxHeaderCount, maxBodySize, maxDrainSize,
                maxChunkExtensionLength, compliance, maxPipelinedRequestsPerTurn, maxHeadMemory);
    }

    public HttpLimits withMaxHeaderSectionSize(int v) {
        return new HttpLimits(maxRequestLineLength, v, maxHeaderCount, maxBodySize, maxDrainSize,
                maxChunkExtensionLength, compliance, maxPipelinedRequestsPerTurn, maxHeadMemory);
    }

    public HttpLimits withMaxHeaderCount(int v) {
        return new HttpLimits(maxRequestLineLength, maxHeaderSectionSize, v, maxBodySize, maxDrainSize,
                maxChunkExtensionLength, compliance, maxPipelinedRequestsPerTurn, maxHeadMemory);
    }

    public HttpLimits withMaxBodySize(long v) {
        return new HttpLimits(maxRequestLineLength, maxHeaderSectionSize, maxHeaderCount, v, maxDrainSize,
                maxChunkExtensionLength, compliance, maxPipelinedRequestsPerTurn, maxHeadMemory);
    }

    public HttpLimits withMaxDrainSize(long v) {
        return new HttpLimits(maxRequestLineLength, maxHeaderSectionSize, maxHeaderCount, maxBodySize, v,
                maxChunkExtensionLength, compliance, maxPipelinedRequestsPerTurn, maxHeadMemory);
    }

    public HttpLimits withMaxChunkExtensionLength(int v) {
        return new HttpLimits(maxRequestLineLength, maxHeaderSectionSize, maxHeaderCount, maxBodySize, maxDrainSize,
                v, compliance, maxPipelinedRequestsPerTurn, maxHeadMemory);
    }

    public HttpLimits withCompliance(HttpCompliance v) {
        return new HttpLimits(maxRequestLineLength, maxHeaderSectionSize, maxHeaderCount, maxBodySize, maxDrainSize,
                maxChunkExtensionLength, v, maxPipelinedRequestsPerTurn, maxHeadMemory);
    }

    public HttpLimits withMaxPipelinedRequestsPerTurn(int v) {
        return new HttpLimits(maxRequestLineLength, maxHeaderSectionSize, maxHeaderCount, maxBodySize, maxDrainSize,
                maxChunkExtensionLength, compliance, v, maxHeadMemory);
    }

    public HttpLimits withMaxHeadMemory(long v) {
        return new HttpLimits(maxRequestLineLength, maxHeaderSectionSize, maxHeaderCount, maxBodySize, maxDrainSize,
                maxChunkExtensionLength, compliance, maxPipelinedRequestsPerTurn, v);
    }

    /** Bytes a whole request head may take: request line, header section and their line ends. */
    public int maxHeadSize() {
        return maxRequestLineLength + maxHeaderSectionSize + 4;
    }

    private static void positive(long v, String name) {
        if (v <= 0) throw new IllegalArgumentException(name + " must be > 0, got " + v);
    }
}
