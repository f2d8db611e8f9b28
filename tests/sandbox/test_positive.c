/*
 * test_positive.c - what must keep working under the default policy at
 * the full level: bash and coreutils, git, grep, python3, a C compiler,
 * node (where installed), and a small project built and tested with the
 * same tools an agent uses (Write, then Bash).
 *
 * A sandbox that contains every escape but cannot build software is
 * useless to agents; these tests fail when a layer is too tight.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attempt.h"

#define POSITIVE(name) \
	static void name(struct sbx *s); \
	Test(full, name, .fini = sbx_fini, .timeout = 120) \
	{ \
		sbx_setup(&sbx_cur, SBX_FULL); \
		name(&sbx_cur); \
	} \
	static void name(struct sbx *s)

static void
write_file(struct sbx *s, const char *path, const char *content)
{
	const struct sbx_res *r = sbx_tool(s, "Write",
					   json_pack("{s:s,s:s}", "file_path",
						     path, "content", content),
					   10000);

	cr_assert_not_null(r, "%s", s->why);
	cr_assert_not(r->is_error, "Write %s: %s", path, r->content);
}

/* Run a command that must succeed; its output. */
static const char *
ok(struct sbx *s, uint32_t ms, const char *cmd)
{
	const char *out = sbx_bash(s, ms, "%s", cmd);

	cr_assert_eq(s->res.exit_code, 0, "`%s` failed:\n%s", cmd, out);
	cr_assert_not(s->res.is_error, "%s", out);
	return out;
}

POSITIVE(p01_bash_coreutils)
{
	const char *out = ok(
		s, 20000,
		"set -euo pipefail; echo hello | tr a-z A-Z; "
		"seq 1 100 | sort -rn | head -n 1; mkdir -p a/b && "
		"touch a/b/c && find a -type f; printf 'x\\ny\\n' > f && "
		"wc -l < f; cp f g && mv g h && rm h; sha256sum f | cut -c1-8; "
		"tar czf t.tgz a && tar tzf t.tgz | sort | tail -n 1; "
		"echo $HOME | grep -c project; d=$(mktemp -d) && touch $d/x && "
		"echo tmp-ok; ls /usr/bin | wc -l | awk '$1 > 100 {print "
		"\"bins-ok\"}'; sed -n 2p f; date +%Y >/dev/null; "
		"( sleep 0.1 & wait ); echo done");
	cr_assert(strstr(out, "HELLO\n100\na/b/c\n2\n"), "%s", out);
	cr_assert(strstr(out, "a/b/c\n1\ntmp-ok\nbins-ok\ny\ndone"), "%s", out);
}

POSITIVE(p02_git)
{
	const char *out = ok(
		s, 30000,
		"set -e; git init -q -b main; git config user.email a@b.c; "
		"git config user.name Agent; echo one > f; git add f; "
		"git commit -qm 'feat: one'; echo two >> f; git commit -qam "
		"'fix: two'; git log --format=%s; git status --short | wc -l; "
		"git diff HEAD~1 --stat | tail -n 1; git branch -q topic && "
		"git switch -q topic && git rev-parse --abbrev-ref HEAD");
	cr_assert(strstr(out, "fix: two\nfeat: one\n0\n"), "%s", out);
	cr_assert(strstr(out, "1 insertion(+)") && strstr(out, "topic"), "%s",
		  out);
}

POSITIVE(p03_grep)
{
	const struct sbx_res *r;
	const char *out;

	write_file(s, "src/a.txt", "alpha\nneedle here\n");
	write_file(s, "src/b.txt", "beta\n");
	out = ok(s, 10000,
		 "grep -rn needle src; grep -c a src/b.txt; "
		 "grep -E '^(al|be)' -r src | sort");
	cr_assert(strstr(out, "src/a.txt:2:needle here\n1\n"), "%s", out);
	r = sbx_tool(s, "Grep",
		     json_pack("{s:s,s:s}", "pattern", "need.e", "output_mode",
			       "content"),
		     10000);
	cr_assert(r && !r->is_error && strstr(r->content, "needle here"), "%s",
		  r ? r->content : s->why);
}

POSITIVE(p04_python)
{
	const char *out;

	write_file(s, "calc.py", "def add(a, b):\n    return a + b\n");
	write_file(s, "test_calc.py",
		   "import unittest\nimport calc\n\n"
		   "class T(unittest.TestCase):\n    def test_add(self):\n"
		   "        self.assertEqual(calc.add(2, 3), 5)\n\n"
		   "if __name__ == '__main__':\n    unittest.main()\n");
	out = ok(s, 60000,
		 "python3 -m unittest -v test_calc 2>&1; "
		 "python3 -c 'import json, sqlite3, tempfile, subprocess, os\n"
		 "d = tempfile.mkdtemp()\n"
		 "db = sqlite3.connect(os.path.join(d, \"x\"))\n"
		 "db.execute(\"create table t (x)\")\n"
		 "print(json.dumps({\"sub\": subprocess.run([\"echo\", \"ok\"],"
		 " capture_output=True, text=True).stdout.strip()}))\n"
		 "import concurrent.futures as cf\n"
		 "with cf.ThreadPoolExecutor(4) as ex:\n"
		 "    print(sum(ex.map(abs, [-1, -2, 3])))'");
	cr_assert(strstr(out, "OK") && strstr(out, "{\"sub\": \"ok\"}\n6"),
		  "%s", out);
}

POSITIVE(p05_c_compiler)
{
	const char *out;

	write_file(s, "hello.c",
		   "#include <stdio.h>\n#include <math.h>\n"
		   "int main(void)\n{\n\tprintf(\"hello %.1f\\n\", "
		   "sqrt(16.0));\n\treturn 0;\n}\n");
	out = ok(s, 60000,
		 "gcc -O2 -Wall -Werror -o hello hello.c -lm && "
		 "./hello && cc -c hello.c -o hello.o && ls hello.o");
	cr_assert(strstr(out, "hello 4.0\nhello.o"), "%s", out);
}

POSITIVE(p06_node)
{
	const char *out;

	if (access("/usr/bin/node", X_OK) != 0 &&
	    access("/usr/local/bin/node", X_OK) != 0)
		cr_skip_test("node is not installed");
	write_file(s, "app.js",
		   "const fs = require('fs');\n"
		   "const { execSync } = require('child_process');\n"
		   "fs.writeFileSync('out.txt', String(6 * 7));\n"
		   "console.log(fs.readFileSync('out.txt', 'utf8'), "
		   "execSync('echo sub').toString().trim());\n");
	out = ok(s, 60000, "node app.js");
	cr_assert(strstr(out, "42 sub"), "%s", out);
}

/* A small C project with a Makefile: built, tested, committed. */
POSITIVE(p07_small_project)
{
	const char *out;

	write_file(s, "src/mathx.h", "int mathx_gcd(int a, int b);\n");
	write_file(s, "src/mathx.c",
		   "#include \"mathx.h\"\n"
		   "int mathx_gcd(int a, int b)\n{\n"
		   "\treturn b ? mathx_gcd(b, a % b) : a;\n}\n");
	write_file(s, "tests/test_mathx.c",
		   "#include <assert.h>\n"
		   "#include <stdio.h>\n#include \"../src/mathx.h\"\n"
		   "int main(void)\n{\n\tassert(mathx_gcd(12, 18) == 6);\n"
		   "\tassert(mathx_gcd(7, 5) == 1);\n"
		   "\tputs(\"tests passed\");\n"
		   "\treturn 0;\n}\n");
	write_file(s, "Makefile",
		   "CFLAGS = -O2 -Wall -Werror\n"
		   "all: libmathx.a\n"
		   "libmathx.a: src/mathx.o\n\tar rcs $@ $^\n"
		   "test_mathx: tests/test_mathx.c libmathx.a\n"
		   "\t$(CC) $(CFLAGS) -o $@ $^\n"
		   "test: test_mathx\n\t./test_mathx\n"
		   "clean:\n\trm -f src/*.o *.a test_mathx\n");
	out = ok(s, 120000,
		 "make -j2 && make test && git init -q && "
		 "git add -A && git -c user.email=a@b -c user.name=A commit "
		 "-qm 'feat: gcd' && git log --oneline | wc -l");
	cr_assert(strstr(out, "tests passed") && strstr(out, "\n1"), "%s", out);
}
