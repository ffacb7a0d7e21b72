/* cmdline.c - KEY=VALUE words in the boot command line. */
#include "cmdline.h"
#include "string.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

const char *cmdline_find(const char *cmdline, const char *key, size_t *len)
{
	size_t klen = strlen(key);
	const char *p = cmdline;

	if (!p)
		return NULL;
	while (*p) {
		const char *w;
		size_t wlen = 0;

		while (is_space(*p))
			p++;
		w = p;
		while (p[wlen] && !is_space(p[wlen]))
			wlen++;
		if (wlen > klen && strncmp(w, key, klen) == 0 && w[klen] == '=') {
			*len = wlen - klen - 1;
			return w + klen + 1;
		}
		p = w + wlen;
	}
	return NULL;
}

int cmdline_get_u32(const char *cmdline, const char *key, u32 *out)
{
	size_t len, i = 0;
	const char *v = cmdline_find(cmdline, key, &len);
	unsigned base = 10;
	u64 acc = 0;

	if (!v)
		return 0;
	if (len > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		char ch = v[i];
		unsigned d;

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else
			return -1;
		acc = acc * base + d;
		if (acc > 0xFFFFFFFFull)
			return -1;
	}
	*out = (u32)acc;
	return 1;
}
