package org.minipylib.wsgiserver.http;

/**
 * Size limits on what a client may send; immutable. Every limit has a safe default ({@link #defaults()}); set
 * those that should differ with {@link #builder()}, or change one with a {@code withX} method.
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

    /**
     * 8 KiB request line, 32 KiB headers, 100 fields, 64 MiB body, 64 KiB drain, 1 KiB extensions, strict parsing,
     * 64 pipelined requests per turn, a quarter of the heap for long request heads.
     */
    public static HttpLimits defaults() {
        return builder().build();
    }

    /**
     * A builder starting from the {@linkplain #defaults() defaults}: set only the limits that differ, e.g.
     * {@code HttpLimits.builder().maxBodySize(1 << 20).maxHeaderCount(50).build()}.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these limits. */
    public Builder toBuilder() {
        return new Builder()
                .maxRequestLineLength(maxRequestLineLength)
                .maxHeaderSectionSize(maxHeaderSectionSize)
                .maxHeaderCount(maxHeaderCount)
                .maxBodySize(maxBodySize)
                .maxDrainSize(maxDrainSize)
                .maxChunkExtensionLength(maxChunkExtensionLength)
                .compliance(compliance)
                .maxPipelinedRequestsPerTurn(maxPipelinedRequestsPerTurn)
                .maxHeadMemory(maxHeadMemory);
    }

    /** These limits with {@link #maxRequestLineLength()} {@code v}. */
    public HttpLimits withMaxRequestLineLength(int v) { return toBuilder().maxRequestLineLength(v).build(); }
    /** These limits with {@link #maxHeaderSectionSize()} {@code v}. */
    public HttpLimits withMaxHeaderSectionSize(int v) { return toBuilder().maxHeaderSectionSize(v).build(); }
    /** These limits with {@link #maxHeaderCount()} {@code v}. */
    public HttpLimits withMaxHeaderCount(int v) { return toBuilder().maxHeaderCount(v).build(); }
    /** These limits with {@link #maxBodySize()} {@code v}. */
    public HttpLimits withMaxBodySize(long v) { return toBuilder().maxBodySize(v).build(); }
    /** These limits with {@link #maxDrainSize()} {@code v}. */
    public HttpLimits withMaxDrainSize(long v) { return toBuilder().maxDrainSize(v).build(); }
    /** These limits with {@link #maxChunkExtensionLength()} {@code v}. */
    public HttpLimits withMaxChunkExtensionLength(int v) { return toBuilder().maxChunkExtensionLength(v).build(); }
    /** These limits with {@link #compliance()} {@code v}. */
    public HttpLimits withCompliance(HttpCompliance v) { return toBuilder().compliance(v).build(); }
    /** These limits with {@link #maxPipelinedRequestsPerTurn()} {@code v}. */
    public HttpLimits withMaxPipelinedRequestsPerTurn(int v) { return toBuilder().maxPipelinedRequestsPerTurn(v).build(); }
    /** These limits with {@link #maxHeadMemory()} {@code v}. */
    public HttpLimits withMaxHeadMemory(long v) { return toBuilder().maxHeadMemory(v).build(); }

    /** Bytes a whole request head may take: request line, header section and their line ends. */
    public int maxHeadSize() {
        return maxRequestLineLength + maxHeaderSectionSize + 4;
    }

    private static void positive(long v, String name) {
        if (v <= 0) throw new IllegalArgumentException(name + " must be > 0, got " + v);
    }

    /**
     * Builds {@link HttpLimits}, one setter per limit (see the record's components for what each means).
     * It starts from the {@linkplain #defaults() defaults}; {@link #build()} checks the values as the record does.
     */
    public static final class Builder {
        private int maxRequestLineLength = 8 * 1024;
        private int maxHeaderSectionSize = 32 * 1024;
        private int maxHeaderCount = 100;
        private long maxBodySize = 64L * 1024 * 1024;
        private long maxDrainSize = 64 * 1024;
        private int maxChunkExtensionLength = 1024;
        private HttpCompliance compliance = HttpCompliance.strict();
        private int maxPipelinedRequestsPerTurn = DEFAULT_MAX_PIPELINED_REQUESTS_PER_TURN;
        private long maxHeadMemory = DEFAULT_MAX_HEAD_MEMORY;

        private Builder() {
        }

        public Builder maxRequestLineLength(int bytes) { this.maxRequestLineLength = bytes; return this; }
        public Builder maxHeaderSectionSize(int bytes) { this.maxHeaderSectionSize = bytes; return this; }
        public Builder maxHeaderCount(int n) { this.maxHeaderCount = n; return this; }
        public Builder maxBodySize(long bytes) { this.maxBodySize = bytes; return this; }
        /** 0: never drain. */
        public Builder maxDrainSize(long bytes) { this.maxDrainSize = bytes; return this; }
        public Builder maxChunkExtensionLength(int bytes) { this.maxChunkExtensionLength = bytes; return this; }
        public Builder compliance(HttpCompliance c) { this.compliance = c; return this; }
        public Builder maxPipelinedRequestsPerTurn(int n) { this.maxPipelinedRequestsPerTurn = n; return this; }
        public Builder maxHeadMemory(long bytes) { this.maxHeadMemory = bytes; return this; }

        /** @throws IllegalArgumentException if a limit is out of range (see the record's constructor) */
        public HttpLimits build() {
            return new HttpLimits(maxRequestLineLength, maxHeaderSectionSize, maxHeaderCount, maxBodySize,
                    maxDrainSize, maxChunkExtensionLength, compliance, maxPipelinedRequestsPerTurn, maxHeadMemory);
        }
    }
}
