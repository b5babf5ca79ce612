# The virtual board's REPL on its serial line, byte for byte like MicroPython's
# pyexec: friendly REPL (line editing, compound statements, Ctrl-C, Ctrl-D
# soft reset, Ctrl-E paste mode), raw REPL (Ctrl-A, Ctrl-B, Ctrl-C, Ctrl-D)
# and raw-paste mode (Ctrl-E "A" Ctrl-A -> "R\x01", flow-controlled window),
# which is what mpremote speaks. Runs under micropython in the board's main
# loop: feed() gets one byte at a time, so scans keep running between bytes.
# Code runs in the board's __main__ globals, synchronously, as on a board.
import sys

from vhw import SoftReset

FRIENDLY, RAW, RAW_PASTE, PASTE = 0, 1, 2, 3
RAW_BANNER = "raw REPL; CTRL-B to exit\r\n"
_WINDOW = 128
_COMPOUND = ("if", "while", "for", "def", "class", "try", "with", "async")  # raw-paste flow-control window, bytes


def _out(s):
    sys.stdout.write(s)


def _continues(src):
    """True if the friendly REPL should ask for more lines ("... ")."""
    s = src.rstrip()
    if s.endswith(":") or s.endswith("\\") or s.startswith("@"):
        return True
    if s.split(" ", 1)[0].split(":", 1)[0] in _COMPOUND:  # as MicroPython: `while 1: f()` asks for more
        return True
    depth = 0
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth > 0 or s.count('"""') % 2 == 1 or s.count("'''") % 2 == 1


class Repl:
    def __init__(self, globals_, banner):
        self.g = globals_
        self.banner = banner
        self.mode = FRIENDLY
        self.buf = bytearray()  # friendly: the line being typed; raw, paste: the code
        self.block = []         # friendly: lines of a compound statement
        self.esc = 0            # bytes of an escape sequence (arrow keys) still to swallow
        self.last = 0
        self.window_left = 0

    def prompt(self):
        """After a (soft) reset: the raw banner in raw mode, else the friendly banner."""
        if self.mode == FRIENDLY:
            _out(self.banner + "\r\n>>> ")
        else:
            self.mode = RAW
            _out(RAW_BANNER + ">")

    def feed(self, c):
        """One byte from the line. May raise SoftReset / HardReset for the runner."""
        m = self.mode
        if m == RAW:
            self._raw(c)
        elif m == RAW_PASTE:
            self._raw_paste(c)
        elif m == PASTE:
            self._paste(c)
        else:
            self._friendly(c)
        self.last = c

    # --- code execution ---------------------------------------------------

    def _run(self, src, mode):
        """Compile and run; print a traceback on error. SystemExit soft-resets."""
        try:
            exec(compile(src, "<stdin>", mode), self.g)
        except SystemExit:
            raise SoftReset()
        except Exception as e:
            sys.print_exception(e)
        except KeyboardInterrupt as e:
            sys.print_exception(e)

    def _run_raw(self, src):
        try:
            exec(compile(src, "<stdin>", "exec"), self.g)
            _out("\x04\x04")
        except SystemExit:
            _out("\x04\x04")
            raise SoftReset()
        except Exception as e:
            _out("\x04")
            sys.print_exception(e)
            _out("\x04")
        except KeyboardInterrupt as e:
            _out("\x04")
            sys.print_exception(e)
            _out("\x04")

    # --- friendly REPL ----------------------------------------------------

    def _friendly(self, c):
        if self.esc:
            self.esc -= 1
            if self.esc == 1 and c != 0x5B:  # ESC x: a two-byte sequence
                self.esc = 0
            return
        if c == 0x1B:
            self.esc = 2
        elif c == 1:
            self._reset_line()
            self.mode = RAW
            _out("\r\n" + RAW_BANNER + ">")
        elif c == 2:
            self._reset_line()
            _out("\r\n" + self.banner + "\r\n>>> ")
        elif c == 3:
            self._reset_line()
            _out("\r\nKeyboardInterrupt\r\n>>> ")
        elif c == 4:
            if self.buf or self.block:
                if self.block:
                    self._enter_line(force_end=True)
                return
            _out("\r\n")
            raise SoftReset()
        elif c == 5:
            self._reset_line()
            self.mode = PASTE
            _out("\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== ")
        elif c == 8 or c == 0x7F:
            if self.buf:
                self.buf = self.buf[:-1]
                _out("\b \b")
        elif c == 13 or (c == 10 and self.last != 13):
            _out("\r\n")
            self._enter_line()
        elif c >= 32:
            self.buf.append(c)
            sys.stdout.buffer.write(bytes((c,)))

    def _reset_line(self):
        self.buf = bytearray()
        self.block = []

    def _enter_line(self, force_end=False):
        line = self.buf.decode()
        self.buf = bytearray()
        if self.block:
            if line.strip() and not force_end:
                self.block.append(line)
                _out("... ")
                return
            src = "\n".join(self.block) + "\n"
            self.block = []
            self._run(src, "single")
        elif _continues(line):
            self.block = [line]
            _out("... ")
            return
        elif line.strip():
            self._run(line, "single")
        _out(">>> ")

    def _paste(self, c):
        if c == 3:
            self._reset_line()
            self.mode = FRIENDLY
            _out("\r\n>>> ")
        elif c == 4:
            src = self.buf.decode()
            self._reset_line()
            self.mode = FRIENDLY
            _out("\r\n")
            self._run(src, "exec")
            _out(">>> ")
        else:
            self.buf.append(c)
            if c == 13:
                _out("\r\n=== ")
            elif c != 10:
                sys.stdout.buffer.write(bytes((c,)))

    # --- raw REPL and raw-paste mode (mpremote) ---------------------------

    def _raw(self, c):
        if c == 1:
            if len(self.buf) == 2 and self.buf[0] == 5:
                self._enter_raw_paste(self.buf[1])
                return
            self.buf = bytearray()
            _out(RAW_BANNER + ">")
        elif c == 2:
            self.buf = bytearray()
            self.mode = FRIENDLY
            _out("\r\n" + self.banner + "\r\n>>> ")
        elif c == 3:
            self.buf = bytearray()
        elif c == 4:
            _out("OK")
            src = bytes(self.buf)
            self.buf = bytearray()
            if not src:
                _out("\r\n")
                raise SoftReset()
            self._run_raw(src)
            _out(">")
        else:
            self.buf.append(c)

    def _enter_raw_paste(self, cmd):
        self.buf = bytearray()
        if cmd != ord("A"):
            sys.stdout.buffer.write(b"R\x00")
            return
        self.mode = RAW_PASTE
        self.window_left = _WINDOW
        sys.stdout.buffer.write(b"R\x01" + bytes((_WINDOW & 0xFF, _WINDOW >> 8, 1)))

    def _raw_paste(self, c):
        if c == 4 or c == 3:
            _out("\x04")  # end of data acknowledged
            self.mode = RAW
            src = bytes(self.buf)
            self.buf = bytearray()
            if c == 4:
                self._run_raw(src)
            else:
                _out("\x04KeyboardInterrupt:\r\n\x04")
            _out(">")
            return
        self.buf.append(c)
        self.window_left -= 1
        if self.window_left == 0:
            self.window_left = _WINDOW
            sys.stdout.buffer.write(b"\x01")
