/* console.c - port 0xE9 console and a small printf. */
#include "console.h"
#include "div64.h"
#include "io.h"

void console_putc(char c)
{
	outb(CONSOLE_PORT, (u8)c);
}

void console_write(const char *s, size_t n)
{
	while (n--)
		console_putc(*s++);
}

void console_puts(const char *s)
{
	while (*s)
		console_putc(*s++);
}

void console_hex(const void *buf, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const u8 *p = buf;

	while (n--) {
		console_putc(digits[*p >> 4]);
		console_putc(digits[*p & 15]);
		p++;
	}
}

/* Formatting state for one conversion. */
struct spec {
	int left;     /* '-' flag */
	int zero;     /* '0' flag */
	int width;
};

static int emit_padded(const struct spec *sp, const char *prefix, const char *body, int blen)
{
	int plen = 0, pad, n = 0;

	while (prefix[plen])
		plen++;
	pad = sp->width - plen - blen;
	if (pad < 0)
		pad = 0;
	if (!sp->left && !sp->zero)
		for (; pad; pad--, n++)
			console_putc(' ');
	console_write(prefix, plen);
	n += plen;
	if (!sp->left && sp->zero)
		for (; pad; pad--, n++)
			console_putc('0');
	console_write(body, blen);
	n += blen;
	for (; pad; pad--, n++)   /* left-justified: pad after */
		console_putc(' ');
	return n;
}

/* Convert v to digits in base 10 or 16; returns the length, digits at the
 * end of buf (buf must hold 20 characters). */
static int utoa(u64 v, unsigned base, int upper, char *buf, char **start)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char *p = buf + 20;
	u32 r;

	do {
		if (base == 16) {
			r = (u32)(v & 15);
			v >>= 4;
		} else {
			v = udiv64_32(v, base, &r);
		}
		*--p = digits[r];
	} while (v);
	*start = p;
	return (int)(buf + 20 - p);
}

int vprintf(const char *fmt, va_list ap)
{
	int total = 0;

	for (; *fmt; fmt++) {
		struct spec sp = { 0, 0, 0 };
		int lng = 0;   /* 0 int, 1 long, 2 long long, 3 size_t */
		char buf[20], *digits, c;
		const char *prefix = "";
		u64 uv;
		int len;

		if (*fmt != '%') {
			console_putc(*fmt);
			total++;
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				sp.left = 1;
			else if (*fmt == '0')
				sp.zero = 1;
			else
				break;
		}
		if (*fmt == '*') {
			sp.width = va_arg(ap, int);
			if (sp.width < 0) {
				sp.left = 1;
				sp.width = -sp.width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				sp.width = sp.width * 10 + (*fmt++ - '0');
		}
		if (*fmt == 'l') {
			lng = 1;
			fmt++;
			if (*fmt == 'l') {
				lng = 2;
				fmt++;
			}
		} else if (*fmt == 'z') {
			lng = 3;
			fmt++;
		}

		switch (*fmt) {
		case '\0':
			return total;
		case '%':
			console_putc('%');
			total++;
			break;
		case 'c':
			c = (char)va_arg(ap, int);
			sp.zero = 0;
			total += emit_padded(&sp, "", &c, 1);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int n = 0;

			if (!s)
				s = "(null)";
			while (s[n])
				n++;
			sp.zero = 0;
			total += emit_padded(&sp, "", s, n);
			break;
		}
		case 'd':
		case 'i': {
			s64 sv;

			if (lng == 2)
				sv = va_arg(ap, long long);
			else if (lng == 1)
				sv = va_arg(ap, long);
			else if (lng == 3)
				sv = (s64)va_arg(ap, size_t);
			else
				sv = va_arg(ap, int);
			if (sv < 0) {
				prefix = "-";
				uv = (u64)0 - (u64)sv;
			} else {
				uv = (u64)sv;
			}
			len = utoa(uv, 10, 0, buf, &digits);
			total += emit_padded(&sp, prefix, digits, len);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			if (lng == 2)
				uv = va_arg(ap, unsigned long long);
			else if (lng == 1)
				uv = va_arg(ap, unsigned long);
			else if (lng == 3)
				uv = va_arg(ap, size_t);
			else
				uv = va_arg(ap, unsigned int);
			len = utoa(uv, *fmt == 'u' ? 10 : 16, *fmt == 'X', buf, &digits);
			total += emit_padded(&sp, prefix, digits, len);
			break;
		case 'p':
			uv = (uintptr_t)va_arg(ap, void *);
			len = utoa(uv, 16, 0, buf, &digits);
			sp.zero = 1;
			sp.left = 0;
			sp.width = 2 + 2 * (int)sizeof(void *);
			total += emit_padded(&sp, "0x", digits, len);
			break;
		default:   /* unknown conversion: print it literally */
			console_putc('%');
			console_putc(*fmt);
			total += 2;
			break;
		}
	}
	return total;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
