package io.veloq.driver.uring;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny eBPF instruction encoder: the few instructions an XDP redirect program needs, with forward jumps
 * to named labels. Each instruction is 8 bytes ({@code opcode, dst:4|src:4, off:s16, imm:s32}), little-endian
 * like the kernel's {@code struct bpf_insn} on the machines we run on; {@code LD_IMM64} takes two.
 *
 * <pre>{@code
 * BpfAssembler a = new BpfAssembler();
 * a.movImm(R0, XDP_PASS).exit();
 * byte[] code = a.assemble();
 * }</pre>
 */
final class BpfAssembler {
    static final int R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6;

    // Instruction classes, sizes, modes, sources, operations (uapi/linux/bpf_common.h, bpf.h).
    private static final int LD = 0x00, LDX = 0x01, ALU64 = 0x07, JMP = 0x05;
    private static final int W = 0x00, H = 0x08, B = 0x10, DW = 0x18;
    private static final int IMM = 0x00, MEM = 0x60;
    private static final int K = 0x00, X = 0x08;
    private static final int ADD = 0x00, AND = 0x50, LSH = 0x60, MOV = 0xb0;
    private static final int JA = 0x00, JEQ = 0x10, JGT = 0x20, JSET = 0x40, JNE = 0x50, JLT = 0xa0, CALL = 0x80, EXIT = 0x90;
    /** {@code BPF_PSEUDO_MAP_FD}: the 64-bit immediate is a map descriptor the loader resolves. */
    private static final int PSEUDO_MAP_FD = 1;

    private record Insn(int opcode, int dst, int src, int off, int imm, String target) {
    }

    private final List<Insn> code = new ArrayList<>();
    private final Map<String, Integer> labels = new HashMap<>();

    private BpfAssembler add(int opcode, int dst, int src, int off, int imm, String target) {
        code.add(new Insn(opcode, dst, src, off, imm, target));
        return this;
    }

    /** {@code dst = src} (64-bit). */
    BpfAssembler mov(int dst, int src) {
        return add(ALU64 | MOV | X, dst, src, 0, 0, null);
    }

    /** {@code dst = imm} (64-bit, sign-extended). */
    BpfAssembler movImm(int dst, int imm) {
        return add(ALU64 | MOV | K, dst, 0, 0, imm, null);
    }

    BpfAssembler addImm(int dst, int imm) {
        return add(ALU64 | ADD | K, dst, 0, 0, imm, null);
    }

    BpfAssembler addReg(int dst, int src) {
        return add(ALU64 | ADD | X, dst, src, 0, 0, null);
    }

    BpfAssembler andImm(int dst, int imm) {
        return add(ALU64 | AND | K, dst, 0, 0, imm, null);
    }

    BpfAssembler lshImm(int dst, int imm) {
        return add(ALU64 | LSH | K, dst, 0, 0, imm, null);
    }

    /** {@code dst = *(u32 *)(src + off)}. */
    BpfAssembler loadWord(int dst, int src, int off) {
        return add(LDX | MEM | W, dst, src, off, 0, null);
    }

    /** {@code dst = *(u16 *)(src + off)}, in memory order (a big-endian field reads byte-swapped). */
    BpfAssembler loadHalf(int dst, int src, int off) {
        return add(LDX | MEM | H, dst, src, off, 0, null);
    }

    BpfAssembler loadByte(int dst, int src, int off) {
        return add(LDX | MEM | B, dst, src, off, 0, null);
    }

    /** {@code dst = map} as a map descriptor the kernel turns into the map's address (two slots). */
    BpfAssembler loadMapFd(int dst, int mapFd) {
        add(LD | DW | IMM, dst, PSEUDO_MAP_FD, 0, mapFd, null);
        return add(0, 0, 0, 0, 0, null);
    }

    BpfAssembler jumpIfGreater(int dst, int src, String label) {
        return add(JMP | JGT | X, dst, src, 0, 0, label);
    }

    BpfAssembler jumpIfEqual(int dst, int imm, String label) {
        return add(JMP | JEQ | K, dst, 0, 0, imm, label);
    }

    BpfAssembler jumpIfNotEqual(int dst, int imm, String label) {
        return add(JMP | JNE | K, dst, 0, 0, imm, label);
    }

    BpfAssembler jumpIfLess(int dst, int imm, String label) {
        return add(JMP | JLT | K, dst, 0, 0, imm, label);
    }

    BpfAssembler jumpIfAnySet(int dst, int imm, String label) {
        return add(JMP | JSET | K, dst, 0, 0, imm, label);
    }

    BpfAssembler jump(String label) {
        return add(JMP | JA, 0, 0, 0, 0, label);
    }

    BpfAssembler call(int helper) {
        return add(JMP | CALL, 0, 0, 0, helper, null);
    }

    BpfAssembler exit() {
        return add(JMP | EXIT, 0, 0, 0, 0, null);
    }

    /** Names the next instruction. */
    BpfAssembler label(String name) {
        if (labels.putIfAbsent(name, code.size()) != null) {
            throw new IllegalStateException("label " + name + " defined twice");
        }
        return this;
    }

    int length() {
        return code.size();
    }

    /** The program as {@code struct bpf_insn[]}, jumps resolved (offsets count from the next instruction). */
    byte[] assemble() {
        ByteBuffer out = ByteBuffer.allocate(code.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int pc = 0; pc < code.size(); pc++) {
            Insn i = code.get(pc);
            int off = i.off;
            if (i.target != null) {
                Integer at = labels.get(i.target);
                if (at == null) {
                    throw new IllegalStateException("jump to undefined label " + i.target);
                }
                off = at - (pc + 1);
            }
            out.put((byte) i.opcode);
            out.put((byte) ((i.src << 4) | i.dst));
            out.putShort((short) off);
            out.putInt(i.imm);
        }
        return out.array();
    }
}
