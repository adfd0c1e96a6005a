package dev.fhirhook.bench;

/** One kind of operation the bench repeats from many workers at once. */
interface Scenario {
    String name();

    /**
     * Opens what worker {@code index} of {@code concurrency} needs (its own connection). Called on the main
     * thread before the clock starts; the worker is then used by exactly one thread.
     */
    Worker worker(int index, int concurrency) throws Exception;

    /** One worker's connection and state. Not thread-safe. */
    interface Worker extends AutoCloseable {
        /** Performs the worker's {@code i}-th operation. Exceptions count as errors labelled with their type. */
        Outcome call(long i) throws Exception;

        @Override
        void close();
    }

    /** What one operation came to: what the scenario expects, or something else worth counting and showing. */
    sealed interface Outcome {
        Outcome EXPECTED = new Expected();

        record Expected() implements Outcome {}

        /** @param label groups errors in the report (e.g. {@code HTTP 503}); @param detail an example, e.g. the body */
        record Unexpected(String label, String detail) implements Outcome {}
    }
}
