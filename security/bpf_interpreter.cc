#include "security/bpf_interpreter.h"

#include <cstring>
#include <string>

namespace rampart::security {

Result<uint32_t> RunBpf(const std::vector<sock_filter>& prog, const seccomp_data& data) {
  if (prog.empty() || prog.size() > BPF_MAXINSNS) return Error::Invalid("bpf: program has " + std::to_string(prog.size()) + " instructions");
  uint32_t a = 0, x = 0;
  uint32_t mem[BPF_MEMWORDS] = {};
  const auto* bytes = reinterpret_cast<const uint8_t*>(&data);
  auto bad = [](size_t pc, const std::string& what) {
    return Error::Invalid("bpf: instruction " + std::to_string(pc) + ": " + what);
  };
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& i = prog[pc];
    const uint32_t k = i.k;
    switch (BPF_CLASS(i.code)) {
      case BPF_LD:
      case BPF_LDX: {
        uint32_t v = 0;
        const uint16_t mode = BPF_MODE(i.code);
        if (mode == BPF_ABS) {
          if (BPF_SIZE(i.code) != BPF_W || k % 4 != 0 || k + 4 > sizeof(seccomp_data))
            return bad(pc, "load outside seccomp_data");
          std::memcpy(&v, bytes + k, 4);
        } else if (mode == BPF_IMM) {
          v = k;
        } else if (mode == BPF_MEM) {
          if (k >= BPF_MEMWORDS) return bad(pc, "scratch slot out of range");
          v = mem[k];
        } else if (mode == BPF_LEN) {
          v = sizeof(seccomp_data);
        } else {
          return bad(pc, "unsupported load mode");
        }
        (BPF_CLASS(i.code) == BPF_LD ? a : x) = v;
        break;
      }
      case BPF_ST:
      case BPF_STX:
        if (k >= BPF_MEMWORDS) return bad(pc, "scratch slot out of range");
        mem[k] = BPF_CLASS(i.code) == BPF_ST ? a : x;
        break;
      case BPF_ALU: {
        const uint32_t src = BPF_SRC(i.code) == BPF_X ? x : k;
        switch (BPF_OP(i.code)) {
          case BPF_ADD: a += src; break;
          case BPF_SUB: a -= src; break;
          case BPF_MUL: a *= src; break;
          case BPF_DIV:
            if (src == 0) return 0u;  // the kernel aborts the filter: SECCOMP_RET_KILL_THREAD
            a /= src;
            break;
          case BPF_MOD:
            if (src == 0) return 0u;
            a %= src;
            break;
          case BPF_AND: a &= src; break;
          case BPF_OR: a |= src; break;
          case BPF_XOR: a ^= src; break;
          case BPF_LSH: a = src >= 32 ? 0 : a << src; break;
          case BPF_RSH: a = src >= 32 ? 0 : a >> src; break;
          case BPF_NEG: a = -a; break;
          default: return bad(pc, "unsupported ALU operation");
        }
        break;
      }
      case BPF_JMP: {
        size_t target;
        if (BPF_OP(i.code) == BPF_JA) {
          target = pc + 1 + k;
        } else {
          const uint32_t src = BPF_SRC(i.code) == BPF_X ? x : k;
          bool cond;
          switch (BPF_OP(i.code)) {
            case BPF_JEQ: cond = a == src; break;
            case BPF_JGT: cond = a > src; break;
            case BPF_JGE: cond = a >= src; break;
            case BPF_JSET: cond = (a & src) != 0; break;
            default: return bad(pc, "unsupported jump");
          }
          target = pc + 1 + (cond ? i.jt : i.jf);
        }
        if (target >= prog.size()) return bad(pc, "jump past the end");
        pc = target - 1;
        break;
      }
      case BPF_RET:
        if (BPF_RVAL(i.code) == BPF_K) return k;
        if (BPF_RVAL(i.code) == BPF_A) return a;
        return bad(pc, "unsupported return");
      case BPF_MISC:
        if (BPF_MISCOP(i.code) == BPF_TAX) x = a;
        else a = x;
        break;
      default: return bad(pc, "unknown instruction class");
    }
  }
  return Error::Invalid("bpf: program ends without a return");
}

}  // namespace rampart::security
