package io.veloq.testkit.internal;

/**
 * An open file description of the fake kernel: a socket or a regular file. Descriptors in the process
 * table and slots of a driver's registered-file table hold references; the last one released closes it.
 */
abstract sealed class SimFile permits SimSocket, OpenFile {
    int refs;
    boolean released;
    /** The loop whose driver created it (-1: not a driver, e.g. a scripted peer); for {@link Defect#HANDLES_PER_LOOP}. */
    int createdByLoop = -1;

    /** A short description for messages: "TCP socket 127.0.0.1:5000 -> 127.0.0.1:40000". */
    abstract String describe();
}
