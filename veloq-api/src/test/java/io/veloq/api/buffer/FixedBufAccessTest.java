package io.veloq.api.buffer;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The typed accessors (network order, absolute and relative), the read-only view and heap staging of {@link FixedBuf}. */
class FixedBufAccessTest {

    @Test
    void relativeAndAbsoluteAccessorsAreBigEndianAndAgree() {
        BufPool pool = BufPool.allocate(64, 1);
        FixedBuf b = pool.lease();
        b.putByte(0xFE).putShort(0xBEEF).putInt(0xCAFEBABE).putLong(0x0102030405060708L);
        assertEquals(15, b.writerIndex());
        // The bytes on the wire, as a big-endian peer (a java.nio heap buffer) reads them.
        byte[] wire = new byte[15];
        b.get(wire, 0, 15);
        ByteBuffer peer = ByteBuffer.wrap(wire);
        assertEquals((byte) 0xFE, peer.get());
        assertEquals((short) 0xBEEF, peer.getShort());
        assertEquals(0xCAFEBABE, peer.getInt());
        assertEquals(0x0102030405060708L, peer.getLong());
        // Absolute reads see the same values without moving an index.
        assertEquals(0xFE, b.getUnsignedByte(0));
        assertEquals((short) 0xBEEF, b.getShort(1));
        assertEquals(0xBEEF, b.getUnsignedShort(1));
        assertEquals(0xCAFEBABE, b.getInt(3));
        assertEquals(0xCAFEBABEL, b.getUnsignedInt(3));
        assertEquals(0x0102030405060708L, b.getLong(7));
        // Relative reads from the start again.
        b.readerIndex(0);
        assertEquals((byte) 0xFE, b.readByte());
        assertEquals(0xBEEF, b.readUnsignedShort());
        assertEquals(0xCAFEBABEL, b.readUnsignedInt());
        assertEquals(0x0102030405060708L, b.readLong());
        assertEquals(0, b.readableBytes());
        IndexOutOfBoundsException under = assertThrows(IndexOutOfBoundsException.class, b::readInt);
        assertTrue(under.getMessage().contains("cannot read 4 bytes: 0 readable"), under.getMessage());
        // set rewrites in place; the absolute bounds are the capacity.
        b.setLong(7, -1L).setShort(1, 7);
        assertEquals(-1L, b.getLong(7));
        assertEquals(7, b.getShort(1));
        assertThrows(IndexOutOfBoundsException.class, () -> b.getLong(60));
        b.clear().writerIndex(62);
        assertThrows(IndexOutOfBoundsException.class, () -> b.putInt(1));
        assertEquals(62, b.writerIndex(), "a put that does not fit writes nothing");
        b.release();
        assertThrows(IllegalStateException.class, () -> b.readByte());
    }

    @Test
    void theReadableViewSharesMemoryReadOnlyAndBigEndian() {
        BufPool pool = BufPool.allocate(64, 1);
        FixedBuf b = pool.lease();
        b.put("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
        b.readByte(); // the view starts at the reader index
        ByteBuffer v = b.readableView();
        assertTrue(v.isReadOnly());
        assertEquals(ByteOrder.BIG_ENDIAN, v.order());
        assertEquals(0, v.position());
        assertEquals(15, v.remaining());
        assertEquals("ET / HTTP/1.1\r\n", StandardCharsets.US_ASCII.decode(v.duplicate()).toString());
        assertThrows(ReadOnlyBufferException.class, () -> v.put(0, (byte) 1));
        b.setByte(1, 'X'); // same memory
        assertEquals('X', v.get(0));
        assertEquals(1, b.readerIndex(), "reading through the view moves no index");
        b.release();
    }

    @Test
    void aViewIsAReadOnlySliceAtAnAbsoluteIndexCheckedOnce() {
        BufPool pool = BufPool.allocate(64, 1);
        FixedBuf b = pool.lease();
        b.putInt(5).put("hello".getBytes(StandardCharsets.US_ASCII)).putInt(2).put("hi".getBytes(StandardCharsets.US_ASCII));
        int at = b.readerIndex();
        int len = b.getInt(at);
        ByteBuffer frame = b.view(at + 4, len);
        assertTrue(frame.isReadOnly());
        assertEquals(ByteOrder.BIG_ENDIAN, frame.order());
        assertEquals("hello", StandardCharsets.US_ASCII.decode(frame.duplicate()).toString());
        assertEquals(0, b.readerIndex(), "a view moves no index");
        assertEquals(2, b.view(9, 4).getInt(0), "typed reads through a view are in network order");
        b.setByte(at + 4, 'j'); // the same memory
        assertEquals('j', frame.get(0));
        assertThrows(ReadOnlyBufferException.class, () -> frame.put(0, (byte) 1));
        assertThrows(IndexOutOfBoundsException.class, () -> b.view(60, 5), "past the capacity");
        assertThrows(IndexOutOfBoundsException.class, () -> b.view(-1, 2));
        b.release();
        assertThrows(IllegalStateException.class, () -> b.view(0, 1), "use after release");
    }

    @Test
    void transferFromStagesHeapBytesInPieces() {
        BufPool pool = BufPool.allocate(8, 1);
        FixedBuf b = pool.lease();
        byte[] heap = "0123456789abcdef!".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer src = ByteBuffer.wrap(heap);
        StringBuilder out = new StringBuilder();
        int pieces = 0;
        while (src.hasRemaining()) {
            b.clear();
            int n = b.transferFrom(src);
            assertEquals(Math.min(8, heap.length - 8 * pieces), n);
            out.append(new String(b.getBytes(), StandardCharsets.US_ASCII));
            pieces++;
        }
        assertEquals(3, pieces);
        assertEquals("0123456789abcdef!", out.toString());
        assertEquals(0, b.transferFrom(src), "nothing left");
        b.clear().writerIndex(8);
        assertEquals(0, b.transferFrom(ByteBuffer.wrap(heap)), "a full buffer takes nothing");
        b.release();
    }
}
