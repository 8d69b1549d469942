/* gureum-alb: the native data plane of one HTTP ALB listener (elbv2/native_alb.py starts it).
 *
 * It accepts the listener's connections (epoll, non-blocking, level-triggered), parses each
 * HTTP/1.1 request head, and decides from the table Python sent (native_alb.py documents the
 * message layout): the listener's rules in priority order, each with host-header, path-pattern
 * and http-request-method conditions and either a plain forward to a target group (its
 * routable targets, taken in turn) or "Python's". A request it decides natively is forwarded
 * with the head alb.py's fast path builds, over pooled keep-alive connections to the target,
 * and the answer is streamed back rewritten as front.py does. Everything else (another
 * condition or action, HTTP/1.0, Upgrade, Expect, Connection other than keep-alive, a head it
 * does not fully understand, a pooled connection failing twice or a fresh one failing before
 * the answer began while the request's bytes are still held) is handed to Python: the client
 * socket and every byte read from it that Python has not seen go over the control socket
 * (SCM_RIGHTS), and the connection is Python's from then on.
 *
 * Usage: gureum-alb LISTEN_FD CONTROL_FD SHM_FD PARENT_PID
 *   CONTROL_FD: a SOCK_SEQPACKET end; Python sends tables ('T'), the worker sends hand-offs ('H').
 *   SHM_FD: the counters (native_alb.py `Counters`): u64 header words, then 8 u64 per group.
 * The worker dies with its parent (PR_SET_PDEATHSIG) and when Python closes its socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAXHEAD 65536        /* a head longer than this is Python's (it answers 431/414) */
#define RETAIN (256 * 1024)  /* request bytes held for a retry or a hand-off */
#define HIGH (1024 * 1024)   /* bytes queued towards one side before the other side's reading pauses */
#define SHM_WORDS 8          /* header words; then 8 per counter block */
#define NCOUNTERS 4096
#define C_REQ 0
#define C_2XX 1 /* ..C_5XX 4: the targets' answers */
#define C_ELB5 5
#define C_NS 6
#define C_BYTES 7
#define S_ACCEPTED 0
#define S_NATIVE 1
#define S_HANDED 2
#define S_VERSION 3

static uint64_t *shm;
static void add(size_t word, uint64_t n) { __atomic_fetch_add(&shm[word], n, __ATOMIC_RELAXED); }
static void count(uint32_t block, int field, uint64_t n) {
    if (block < NCOUNTERS) add(SHM_WORDS + 8ull * block + field, n);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---------- buffers ---------- */
typedef struct { char *p; size_t off, len, cap; } buf;  /* live bytes: p[off..len) */
static void b_reserve(buf *b, size_t n) {
    if (b->off && b->len + n > b->cap) { memmove(b->p, b->p + b->off, b->len - b->off); b->len -= b->off; b->off = 0; }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + n) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) abort();
        b->p = p; b->cap = cap;
    }
}
static void b_put(buf *b, const void *d, size_t n) { b_reserve(b, n); memcpy(b->p + b->len, d, n); b->len += n; }
static void b_puts(buf *b, const char *s) { b_put(b, s, strlen(s)); }
static size_t b_size(const buf *b) { return b->len - b->off; }
static void b_free(buf *b) { free(b->p); b->p = NULL; b->off = b->len = b->cap = 0; }
static void b_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void b_printf(buf *b, const char *fmt, ...) {
    va_list ap; va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap); va_end(ap);
    b_reserve(b, (size_t)n + 1);
    va_start(ap, fmt); vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap); va_end(ap);
    b->len += (size_t)n;
}

/* ---------- the table ---------- */
typedef struct { uint8_t field; uint8_t n; char **v; uint16_t *len; } cond;  /* 1 host, 2 path, 3 method */
typedef struct { uint8_t kind; uint16_t group; uint8_t ncond; cond *conds; } rule;  /* kind 0 forward, 1 Python */
typedef struct { struct in_addr ip; uint16_t port; } target;
typedef struct { uint32_t block; uint16_t n; target *t; } group;
typedef struct {
    uint32_t version; uint16_t port; char address[64]; double timeout;
    uint32_t nrules; rule *rules; uint32_t ngroups; group *groups;
} table;
static table *tab;
static uint32_t rr[NCOUNTERS];
/* the listener's HTTP limits (gureum/http/limits.py), sent with the table: beyond them the
 * request is handed to Python, which answers 414/431/408; connections beyond the caps are refused */
static uint32_t max_conns = 1024, max_per_client = 256, max_line = 8192, max_hdr = 32768;
static uint64_t head_ns = 10000000000ull;
static uint32_t nconns;
typedef struct { char ip[INET6_ADDRSTRLEN]; uint32_t n; } client_count;
#define NCLIENTS 8192
static client_count clients[NCLIENTS];  /* open connections per client address (open addressing) */
static client_count *client_slot(const char *ip) {
    size_t n = strlen(ip); uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) { h ^= (uint8_t)ip[i]; h *= 16777619u; }
    client_count *free_ = NULL;
    for (uint32_t k = 0; k < NCLIENTS; k++) {
        client_count *s = &clients[(h + k) & (NCLIENTS - 1)];
        if (s->n && strcmp(s->ip, ip) == 0) return s;
        if (!s->n && !free_) free_ = s;
        if (!s->n && !s->ip[0]) break;  /* never used: the address is not further on */
    }
    if (free_) { strcpy(free_->ip, ip); }
    return free_;
}

static void free_table(table *t) {
    if (!t) return;
    for (uint32_t i = 0; i < t->nrules; i++) {
        for (int c = 0; c < t->rules[i].ncond; c++) {
            for (int j = 0; j < t->rules[i].conds[c].n; j++) free(t->rules[i].conds[c].v[j]);
            free(t->rules[i].conds[c].v); free(t->rules[i].conds[c].len);
        }
        free(t->rules[i].conds);
    }
    for (uint32_t g = 0; g < t->ngroups; g++) free(t->groups[g].t);
    free(t->rules); free(t->groups); free(t);
}

typedef struct { const uint8_t *p; size_t n, o; int bad; } rd;
static uint64_t rdn(rd *r, int k) {
    if (r->o + k > r->n) { r->bad = 1; return 0; }
    uint64_t v = 0;
    for (int i = 0; i < k; i++) v |= (uint64_t)r->p[r->o + i] << (8 * i);
    r->o += k;
    return v;
}
static const uint8_t *rdb(rd *r, size_t k) {
    if (r->o + k > r->n) { r->bad = 1; return NULL; }
    const uint8_t *p = r->p + r->o; r->o += k; return p;
}

/* 'T' u32 version, u16 port, u8 n + address, u32 timeout ms, u32 nrules, rules, u32 ngroups, groups
 * rule: u8 kind, u16 group, u8 ncond, conds: u8 field, u8 nvalues, values: u16 len + bytes
 * group: u32 counter block, u16 ntargets, targets: 4 address bytes, u16 port */
static table *parse_table(const uint8_t *p, size_t n) {
    rd r = {p, n, 1, 0};
    table *t = calloc(1, sizeof *t);
    t->version = rdn(&r, 4);
    t->port = rdn(&r, 2);
    size_t al = rdn(&r, 1);
    const uint8_t *a = rdb(&r, al);
    if (a && al < sizeof t->address) memcpy(t->address, a, al);
    t->timeout = rdn(&r, 4) / 1000.0;
    t->nrules = rdn(&r, 4);
    if (t->nrules > 10000) r.bad = 1;
    t->rules = calloc(t->nrules ? t->nrules : 1, sizeof(rule));
    for (uint32_t i = 0; i < t->nrules && !r.bad; i++) {
        rule *ru = &t->rules[i];
        ru->kind = rdn(&r, 1); ru->group = rdn(&r, 2); ru->ncond = rdn(&r, 1);
        ru->conds = calloc(ru->ncond ? ru->ncond : 1, sizeof(cond));
        for (int c = 0; c < ru->ncond && !r.bad; c++) {
            cond *co = &ru->conds[c];
            co->field = rdn(&r, 1); co->n = rdn(&r, 1);
            co->v = calloc(co->n ? co->n : 1, sizeof(char *));
            co->len = calloc(co->n ? co->n : 1, sizeof(uint16_t));
            for (int j = 0; j < co->n && !r.bad; j++) {
                co->len[j] = rdn(&r, 2);
                const uint8_t *v = rdb(&r, co->len[j]);
                co->v[j] = calloc(co->len[j] + 1, 1);
                if (v) memcpy(co->v[j], v, co->len[j]);
            }
        }
    }
    t->ngroups = rdn(&r, 4);
    if (t->ngroups > NCOUNTERS) r.bad = 1;
    t->groups = calloc(t->ngroups ? t->ngroups : 1, sizeof(group));
    for (uint32_t g = 0; g < t->ngroups && !r.bad; g++) {
        group *gr = &t->groups[g];
        gr->block = rdn(&r, 4); gr->n = rdn(&r, 2);
        gr->t = calloc(gr->n ? gr->n : 1, sizeof(target));
        for (int j = 0; j < gr->n && !r.bad; j++) {
            const uint8_t *ip = rdb(&r, 4);
            if (ip) memcpy(&gr->t[j].ip, ip, 4);
            gr->t[j].port = rdn(&r, 2);
        }
    }
    if (!r.bad && r.o + 20 <= r.n) {  /* the limits */
        max_conns = rdn(&r, 4); max_per_client = rdn(&r, 4); max_line = rdn(&r, 4); max_hdr = rdn(&r, 4);
        head_ns = rdn(&r, 4) * 1000000ull;
    }
    for (uint32_t i = 0; i < t->nrules && !r.bad; i++)
        if (t->rules[i].kind == 0 && (t->rules[i].group >= t->ngroups || t->groups[t->rules[i].group].block >= NCOUNTERS))
            r.bad = 1;
    if (r.bad) { free_table(t); return NULL; }
    return t;
}

/* AWS's wildcards: '*' any run, '?' one character; `fold`: ASCII case-insensitive. */
static int wild(const char *pat, size_t pn, const char *s, size_t sn, int fold) {
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < sn) {
        if (pi < pn && pat[pi] == '*') { star = pi++; mark = si; continue; }
        if (pi < pn) {
            char a = pat[pi], b = s[si];
            if (fold) { if (a >= 'A' && a <= 'Z') a += 32; if (b >= 'A' && b <= 'Z') b += 32; }
            if (pat[pi] == '?' || a == b) { pi++; si++; continue; }
        }
        if (star == (size_t)-1) return 0;
        pi = star + 1; si = ++mark;
    }
    while (pi < pn && pat[pi] == '*') pi++;
    return pi == pn;
}

/* ---------- connections ---------- */
struct up;
typedef struct conn {
    int fd; int kind;            /* kind 0: client */
    uint32_t evs;                /* the epoll events registered */
    char ip[INET6_ADDRSTRLEN];
    buf in, out;
    struct up *up;
    int busy;                    /* a native request is in flight */
    int retained;                /* in[off..) still holds the whole request as read */
    size_t head_len;             /* its head's bytes (from in.off) */
    size_t bpos;                 /* next request byte (absolute index in in.p) not yet passed on */
    int chunked; uint64_t left, cl;  /* body framing: Content-Length (and what is left of it), or chunked */
    int cstate; uint64_t csize;  /* chunk decoder: 0 size line, 1 data, 2 CRLF after data, 3 trailers, 4 done */
    int req_done, resp_started, resp_done, head_req, retried, closing;
    buf fhead;                   /* the head sent to the target (kept for a retry) */
    target tgt; uint32_t block;
    uint64_t started, last, head_since, body_in, body_out;
    struct conn *next_all, *prev_all;
} conn;

typedef struct up {
    int fd; int kind;            /* kind 1: target */
    uint32_t evs;
    target tgt;
    conn *c;                     /* its client, or NULL when idle in the pool */
    buf out, in;
    int connecting, reused, head_seen, persistent, framing, status, cstate;  /* framing: 0 none 1 length 2 chunked 3 close */
    uint64_t left, csize;
    struct up *next_idle;
} up_t;

static int ep, lfd, cfd;
static uint64_t idle_ns = 60000000000ull;
static conn *all;
static up_t *idle_pool;
static uint64_t rng;

static uint64_t rnd(void) { rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27; return rng * 2685821657736338717ull; }

static void ep_set(int fd, void *ptr, uint32_t events, int add_) {
    struct epoll_event ev = {.events = events, .data.ptr = ptr};
    epoll_ctl(ep, add_ ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
}

/* Objects are freed after the epoll batch (events of this batch may still name them): dead ones
 * have kind 9 and their fd closed. */
static void **grave; static size_t ngrave, capgrave;
static void bury(void *p) {
    if (ngrave == capgrave) { capgrave = capgrave ? 2 * capgrave : 64; grave = realloc(grave, capgrave * sizeof *grave); if (!grave) abort(); }
    grave[ngrave++] = p;
}

static void up_free(up_t *u) {
    if (u->fd >= 0) close(u->fd);
    u->fd = -1; u->kind = 9; u->c = NULL;
    b_free(&u->out); b_free(&u->in); bury(u);
}

static void conn_free(conn *c) {
    if (c->up) { c->up->c = NULL; up_free(c->up); c->up = NULL; }
    if (c->fd >= 0) close(c->fd);
    client_count *cc = client_slot(c->ip);
    if (cc && cc->n) cc->n--;
    nconns--;
    if (c->prev_all) c->prev_all->next_all = c->next_all; else all = c->next_all;
    if (c->next_all) c->next_all->prev_all = c->prev_all;
    c->fd = -1; c->kind = 9;
    b_free(&c->in); b_free(&c->out); b_free(&c->fhead); bury(c);
}

/* The client socket and its unseen bytes to Python; the connection is Python's from now on. */
static void hand_off(conn *c) {
    if (c->up) { c->up->c = NULL; up_free(c->up); c->up = NULL; }
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    struct iovec iov[2];
    char tag = 'H';
    iov[0].iov_base = &tag; iov[0].iov_len = 1;
    iov[1].iov_base = c->in.p + c->in.off; iov[1].iov_len = b_size(&c->in);
    union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } ctl;
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &c->fd, sizeof(int));
    /* counted before the send: once Python has the socket it may answer at once, and whoever
     * saw that answer must find the hand-off counted */
    add(S_HANDED, 1);
    for (;;) {  /* the control socket is blocking for sends: a hand-off is never lost */
        if (sendmsg(cfd, &m, MSG_NOSIGNAL) >= 0) break;
        if (errno == EINTR) continue;
        break;  /* Python is gone: the connection just closes */
    }
    conn_free(c);
}

static void ep_mod(int fd, void *ptr, uint32_t *cur, uint32_t ev) {
    if (*cur == ev || fd < 0) return;  /* (an epoll_ctl only when the set changes) */
    *cur = ev;
    ep_set(fd, ptr, ev, 0);
}

static void client_interest(conn *c) {
    if (c->kind != 0) return;  /* freed in this batch */
    uint32_t ev = 0;
    int want_read = !(c->up && b_size(&c->up->out) > HIGH) && b_size(&c->out) <= HIGH && !c->closing &&
                    !(c->busy && c->req_done && c->in.len - c->bpos > MAXHEAD);
    if (want_read) ev |= EPOLLIN;
    if (b_size(&c->out) || (c->closing && !c->busy)) ev |= EPOLLOUT;  /* closing: the writable event closes it */
    ep_mod(c->fd, c, &c->evs, ev);
}
static void up_interest(up_t *u) {
    if (u->kind != 1) return;
    uint32_t ev = 0;
    if (u->connecting || b_size(&u->out)) ev |= EPOLLOUT;
    if (!u->connecting && !(u->c && b_size(&u->c->out) > HIGH)) ev |= EPOLLIN;
    ep_mod(u->fd, u, &u->evs, ev);
}

/* ---------- answers the worker gives itself: 502 / 504 as alb.py's error_answer ---------- */
static void http_date(char *out, size_t n) {
    time_t t = time(NULL); struct tm tm; gmtime_r(&t, &tm);
    strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}
static void error_answer(conn *c, int code) {
    const char *text = code == 502 ? "Bad Gateway" : code == 504 ? "Gateway Time-out" : "Service Temporarily Unavailable";
    const char *reason = code == 502 ? "Bad Gateway" : code == 504 ? "Gateway Timeout" : "Service Unavailable";
    char body[512], date[64];
    int bn = snprintf(body, sizeof body,
                      "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n</body>\r\n</html>\r\n",
                      code, text, code, text);
    http_date(date, sizeof date);
    b_printf(&c->out, "HTTP/1.1 %d %s\r\nserver: awselb/2.0\r\ndate: %s\r\ncontent-type: text/html\r\ncontent-length: %d\r\n"
             "connection: close\r\n\r\n%s", code, reason, date, bn, body);
    count(c->block, C_REQ, 1); count(c->block, C_ELB5, 1);
    c->closing = 1; c->busy = 0;
    if (c->up) { c->up->c = NULL; up_free(c->up); c->up = NULL; }
}

/* ---------- chunked bodies: decoded, re-encoded as front.py does (extensions and trailers dropped) ---------- */
/* Consume from p[0..n); append the re-chunked bytes to out. Returns bytes consumed, or -1: malformed.
 * *state: 0 size line, 1 data, 2 CRLF after data, 3 trailer lines, 4 done. */
static long dechunk(const char *p, size_t n, int *state, uint64_t *size, buf *out, uint64_t *data_bytes) {
    size_t i = 0;
    while (i < n && *state != 4) {
        if (*state == 0 || *state == 3) {
            const char *nl = memchr(p + i, '\n', n - i);
            if (!nl) { if (n - i > 4096) return -1; break; }
            size_t ln = nl - (p + i);
            if (ln == 0 || p[i + ln - 1] != '\r') return -1;
            if (*state == 3) {
                if (ln == 1) { *state = 4; b_puts(out, "0\r\n\r\n"); }
                i += ln + 1;
                continue;
            }
            uint64_t v = 0; size_t k = 0;
            for (; k < ln - 1; k++) {
                char ch = p[i + k]; int d;
                if (ch >= '0' && ch <= '9') d = ch - '0';
                else if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
                else if (ch >= 'A' && ch <= 'F') d = ch - 'A' + 10;
                else break;
                if (v >> 56) return -1;
                v = v * 16 + d;
            }
            if (k == 0 || (k < ln - 1 && p[i + k] != ';' && p[i + k] != ' ' && p[i + k] != '\t')) return -1;
            i += ln + 1;
            if (v == 0) *state = 3; else { *state = 1; *size = v; }
        } else if (*state == 1) {
            size_t take = n - i < *size ? n - i : (size_t)*size;
            b_printf(out, "%zx\r\n", take);
            b_put(out, p + i, take);
            b_puts(out, "\r\n");
            *data_bytes += take;
            i += take; *size -= take;
            if (*size == 0) *state = 2;
        } else {  /* 2: CRLF */
            if (n - i < 2) break;
            if (p[i] != '\r' || p[i + 1] != '\n') return -1;
            i += 2; *state = 0;
        }
    }
    return (long)i;
}

/* ---------- the request side ---------- */
static void start_up(conn *c);
static void client_readable(conn *c);
static void try_head(conn *c);

/* Pass the request body bytes read so far to the target (or hold them while it connects). */
static int pass_body(conn *c) {
    if (c->req_done || !c->up) return 0;
    buf *to = &c->up->out;
    size_t have = c->in.len - c->bpos;
    if (!c->chunked) {
        size_t take = have < c->left ? have : (size_t)c->left;
        b_put(to, c->in.p + c->bpos, take);
        c->bpos += take; c->left -= take; c->body_in += take;
        if (c->left == 0) c->req_done = 1;
    } else {
        long used = dechunk(c->in.p + c->bpos, have, &c->cstate, &c->csize, to, &c->body_in);
        if (used < 0) return -1;
        c->bpos += (size_t)used;
        if (c->cstate == 4) c->req_done = 1;
    }
    if (!c->retained || c->bpos - c->in.off > RETAIN) {
        c->retained = 0;
        c->in.off = c->bpos;  /* nothing to resend: drop what was passed on */
    }
    return 0;
}

static target *pick(uint32_t g) {
    group *gr = &tab->groups[g];
    if (gr->n == 0) return NULL;
    return &gr->t[rr[gr->block]++ % gr->n];
}

static int tok(unsigned char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}
static int ieq(const char *a, size_t an, const char *b) {
    size_t bn = strlen(b);
    if (an != bn) return 0;
    for (size_t i = 0; i < an; i++) { char x = a[i]; if (x >= 'A' && x <= 'Z') x += 32; if (x != b[i]) return 0; }
    return 1;
}

typedef struct { const char *n; size_t nl; const char *v; size_t vl; } hdr;
#define MAXH 128

/* The head at in[off..off+hl) (hl includes the blank line): decide and forward, or hand off. */
static void handle_head(conn *c, size_t hl) {
    const char *h = c->in.p + c->in.off, *end = h + hl - 2;  /* end: the blank line's CRLF */
    const char *eol = memchr(h, '\r', hl);
    if (!eol || eol[1] != '\n') { hand_off(c); return; }
    const char *sp1 = memchr(h, ' ', eol - h);
    if (!sp1) { hand_off(c); return; }
    const char *sp2 = memchr(sp1 + 1, ' ', eol - sp1 - 1);
    if (!sp2 || eol - sp2 != 9 || memcmp(sp2 + 1, "HTTP/1.1", 8) != 0) { hand_off(c); return; }
    size_t ml = sp1 - h;
    static const char *methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", NULL};
    int known = 0;
    for (int i = 0; methods[i]; i++) if (strlen(methods[i]) == ml && memcmp(methods[i], h, ml) == 0) known = 1;
    const char *url = sp1 + 1; size_t ul = sp2 - url;
    if (!known || ul == 0 || url[0] != '/' || ul > max_line) { hand_off(c); return; }
    for (size_t i = 0; i < ul; i++) if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f || url[i] == '#') { hand_off(c); return; }
    const char *q = memchr(url, '?', ul);
    size_t pl = q ? (size_t)(q - url) : ul;
    size_t ql = q ? ul - pl - 1 : 0;
    hdr hs[MAXH]; int nh = 0;
    const char *host = NULL; size_t hostl = 0;
    int has_cl = 0, has_te = 0; uint64_t cl = 0;
    size_t hbytes = 0;
    for (const char *l = eol + 2; l < end;) {
        const char *e = memchr(l, '\r', end - l + 2);
        if (!e || e[1] != '\n' || nh == MAXH) { hand_off(c); return; }
        const char *colon = memchr(l, ':', e - l);
        if (!colon || colon == l) { hand_off(c); return; }
        for (const char *x = l; x < colon; x++) if (!tok((unsigned char)*x)) { hand_off(c); return; }
        const char *v = colon + 1;
        while (v < e && (*v == ' ' || *v == '\t')) v++;
        for (const char *x = v; x < e; x++) {
            unsigned char ch = (unsigned char)*x;
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f) { hand_off(c); return; }
        }
        hdr *hh = &hs[nh++];
        hh->n = l; hh->nl = colon - l; hh->v = v; hh->vl = e - v;
        hbytes += hh->nl + hh->vl + 4;
        if (hbytes > max_hdr) { hand_off(c); return; }  /* Python answers 431 */
        if (ieq(hh->n, hh->nl, "content-length")) {
            if (has_cl || hh->vl == 0 || hh->vl > 15) { hand_off(c); return; }
            for (size_t i = 0; i < hh->vl; i++) { if (v[i] < '0' || v[i] > '9') { hand_off(c); return; } cl = cl * 10 + (v[i] - '0'); }
            has_cl = 1;
        } else if (ieq(hh->n, hh->nl, "transfer-encoding")) {
            if (has_te || !ieq(v, hh->vl, "chunked")) { hand_off(c); return; }
            has_te = 1;
        } else if (ieq(hh->n, hh->nl, "connection")) {
            if (!ieq(v, hh->vl, "keep-alive")) { hand_off(c); return; }
        } else if (ieq(hh->n, hh->nl, "upgrade") || ieq(hh->n, hh->nl, "expect")) {
            hand_off(c); return;
        } else if (ieq(hh->n, hh->nl, "host")) {
            if (!host) { host = v; hostl = hh->vl; }
        }
        l = e + 2;
    }
    if (has_cl && has_te) { hand_off(c); return; }
    if (!tab) { hand_off(c); return; }
    /* the rules, as routing.choose: values OR'ed, conditions AND'ed */
    char hbuf[512]; size_t hn = 0;
    if (host) {
        size_t n = hostl;
        if (!(n && host[0] == '[')) { const char *colon = NULL; for (size_t i = 0; i < n; i++) if (host[i] == ':') colon = host + i; if (colon) n = colon - host; }
        if (n >= sizeof hbuf) { hand_off(c); return; }
        for (size_t i = 0; i < n; i++) { char ch = host[i]; hbuf[i] = ch >= 'A' && ch <= 'Z' ? ch + 32 : ch; }
        hn = n;
        for (size_t i = 0; i < n; i++) if ((unsigned char)hbuf[i] >= 0x80) { hand_off(c); return; }
    }
    rule *chosen = NULL;
    for (uint32_t i = 0; i < tab->nrules && !chosen; i++) {
        rule *ru = &tab->rules[i];
        int all_ = 1;
        for (int k = 0; k < ru->ncond && all_; k++) {
            cond *co = &ru->conds[k]; int any = 0;
            for (int j = 0; j < co->n && !any; j++) {
                if (co->field == 1) any = wild(co->v[j], co->len[j], hbuf, hn, 1);
                else if (co->field == 2) any = wild(co->v[j], co->len[j], url, pl, 0);
                else if (co->field == 3) any = co->len[j] == ml && memcmp(co->v[j], h, ml) == 0;
            }
            all_ = any;
        }
        if (all_) chosen = ru;
    }
    if (!chosen || chosen->kind != 0) { hand_off(c); return; }
    target *t = pick(chosen->group);
    if (!t) { hand_off(c); return; }
    c->tgt = *t;
    c->block = tab->groups[chosen->group].block;
    /* the head, as alb.py's AlbHandler._head */
    buf *o = &c->fhead;
    o->off = o->len = 0;
    b_put(o, h, ml + 1);
    b_put(o, url, pl);
    if (ql) { b_put(o, "?", 1); b_put(o, q + 1, ql); }
    b_puts(o, " HTTP/1.1\r\n");
    buf xff = {0};
    const char *trace = NULL; size_t tracel = 0;
    int has_host = 0;
    for (int i = 0; i < nh; i++) {
        hdr *hh = &hs[i];
        static const char *replaced[] = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                                         "upgrade", "content-length", "x-forwarded-for", "x-forwarded-proto",
                                         "x-forwarded-port", "x-amzn-trace-id", "expect", NULL};
        int skip = 0;
        for (int k = 0; replaced[k] && !skip; k++) skip = ieq(hh->n, hh->nl, replaced[k]);
        if (skip) {
            if (ieq(hh->n, hh->nl, "x-forwarded-for")) { b_put(&xff, hh->v, hh->vl); b_puts(&xff, ", "); }
            else if (ieq(hh->n, hh->nl, "x-amzn-trace-id") && !trace) { trace = hh->v; tracel = hh->vl; }
            continue;
        }
        if (ieq(hh->n, hh->nl, "host")) has_host = 1;
        b_reserve(o, hh->nl);
        for (size_t k = 0; k < hh->nl; k++) { char ch = hh->n[k]; o->p[o->len++] = ch >= 'A' && ch <= 'Z' ? ch + 32 : ch; }
        b_puts(o, ": "); b_put(o, hh->v, hh->vl); b_puts(o, "\r\n");
    }
    b_puts(o, "x-forwarded-for: ");
    if (xff.len) b_put(o, xff.p, xff.len);
    b_free(&xff);
    b_puts(o, c->ip);
    b_puts(o, "\r\nx-amzn-trace-id: ");
    int keep = 0;
    if (trace) for (size_t k = 0; k + 5 <= tracel && !keep; k++) keep = memcmp(trace + k, "Root=", 5) == 0;
    if (keep) b_put(o, trace, tracel);
    else b_printf(o, "Root=1-%08x-%016llx%08x", (unsigned)time(NULL), (unsigned long long)rnd(), (unsigned)(rnd() >> 32));
    b_puts(o, "\r\n");
    if (!has_host) b_printf(o, "host: %s\r\n", tab->address);
    if (has_te) b_puts(o, "transfer-encoding: chunked\r\n");
    else b_printf(o, "content-length: %llu\r\n", (unsigned long long)cl);
    b_printf(o, "x-forwarded-proto: http\r\nx-forwarded-port: %u\r\n\r\n", tab->port);
    /* the exchange */
    c->busy = 1; c->retained = 1; c->head_len = hl; c->bpos = c->in.off + hl;
    c->chunked = has_te; c->cl = cl;
    c->resp_started = c->resp_done = 0; c->retried = 0;
    c->head_req = ml == 4 && memcmp(h, "HEAD", 4) == 0;
    c->started = now_ns(); c->body_in = c->body_out = 0;
    add(S_NATIVE, 1);
    start_up(c);
}

/* ---------- the target side ---------- */
static void up_fail(up_t *u);
static void up_writable(up_t *u);
static int client_writable(conn *c);
static void send_request(conn *c, up_t *u) {
    c->up = u; u->c = c;
    u->head_seen = 0; u->in.off = u->in.len = 0; u->out.off = u->out.len = 0;
    b_put(&u->out, c->fhead.p, c->fhead.len);
    /* the body from its start (a retry resends what was held) */
    c->bpos = c->in.off + c->head_len; c->left = c->cl; c->req_done = !c->chunked && c->cl == 0;
    c->cstate = 0; c->csize = 0; c->body_in = 0;
    if (pass_body(c) < 0) { hand_off(c); return; }
    if (u->connecting) up_interest(u);
    else up_writable(u);  /* a pooled connection: written at once */
}

static void start_up(conn *c) {
    up_t **pp = &idle_pool;
    for (up_t *u = idle_pool; u; pp = &u->next_idle, u = u->next_idle) {
        if (u->tgt.ip.s_addr == c->tgt.ip.s_addr && u->tgt.port == c->tgt.port) {
            *pp = u->next_idle; u->next_idle = NULL; u->reused = 1;
            send_request(c, u);
            return;
        }
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { hand_off(c); return; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(c->tgt.port), .sin_addr = c->tgt.ip};
    up_t *u = calloc(1, sizeof *u);
    u->fd = fd; u->kind = 1; u->tgt = c->tgt;
    u->connecting = 1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) { u->connecting = 0; close(fd); free(u); hand_off(c); return; }
    u->evs = EPOLLOUT;
    ep_set(fd, u, EPOLLOUT, 1);
    /* the original length for a retry is restored by send_request */
    send_request(c, u);
}

static void finish_exchange(conn *c) {
    uint64_t took = now_ns() - c->started;
    count(c->block, C_REQ, 1);
    int cls = c->up ? c->up->status / 100 : 5;
    if (cls >= 2 && cls <= 5) count(c->block, C_2XX + cls - 2, 1);
    count(c->block, C_NS, took);
    count(c->block, C_BYTES, c->body_in + c->body_out);
    up_t *u = c->up;
    c->up = NULL;
    if (u) {
        u->c = NULL;
        if (u->persistent && c->req_done) {
            u->next_idle = idle_pool; idle_pool = u; u->reused = 1;
            ep_mod(u->fd, u, &u->evs, EPOLLIN);  /* idle: readable means closed */
        } else {
            up_free(u);
        }
    }
    c->busy = 0;
    c->last = now_ns();
    if (!c->req_done) { c->closing = 1; return; }  /* the target answered before the body ended */
    c->in.off = c->bpos;
    c->head_since = c->last;
    if (b_size(&c->in)) try_head(c);
}

/* The answer head in u->in (hl bytes with the blank line): rewrite it as front.py does. */
static int answer_head(up_t *u, conn *c, size_t hl) {
    const char *h = u->in.p + u->in.off;
    if (hl < 16 || memcmp(h, "HTTP/1.", 7) != 0 || h[8] != ' ') return -1;
    int status = 0;
    for (int i = 9; i < 12; i++) { if (h[i] < '0' || h[i] > '9') return -1; status = status * 10 + (h[i] - '0'); }
    if (status < 200) return -1;  /* an informational answer: the Python path handles those */
    int http11 = h[7] == '1';
    const char *eol = memchr(h, '\r', hl);
    if (!http11 || !eol) return -1;  /* only HTTP/1.1 targets here */
    u->status = status;
    int has_cl = 0, chunked = 0, close_ = 0; uint64_t cl = 0;
    buf *o = &c->out;
    b_put(o, h, eol - h);  /* the status line as the target sent it, its CRLF comes with the first kept line */
    const char *end = h + hl - 4;  /* the CRLF ending the last header line (or the status line) */
    for (const char *l = eol; l < end;) {  /* l: at the CRLF before a header line */
        const char *line = l + 2;
        const char *e = memchr(line, '\r', end - line + 2);
        if (!e || e[1] != '\n') return -1;
        const char *colon = memchr(line, ':', e - line);
        if (!colon) return -1;
        size_t nl = colon - line;
        if (nl == 0 || line[nl - 1] == ' ' || line[nl - 1] == '\t') return -1;  /* as httptools: a malformed answer */
        const char *v = colon + 1; while (v < e && (*v == ' ' || *v == '\t')) v++;
        size_t vl = e - v; while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
        int hop = ieq(line, nl, "connection") || ieq(line, nl, "keep-alive") || ieq(line, nl, "proxy-connection") ||
                  ieq(line, nl, "te") || ieq(line, nl, "trailer") || ieq(line, nl, "transfer-encoding") || ieq(line, nl, "upgrade");
        if (ieq(line, nl, "content-length")) {
            if (has_cl || vl == 0 || vl > 15) return -1;
            for (size_t i = 0; i < vl; i++) { if (v[i] < '0' || v[i] > '9') return -1; cl = cl * 10 + (v[i] - '0'); }
            has_cl = 1;
        } else if (ieq(line, nl, "transfer-encoding")) {
            if (!ieq(v, vl, "chunked")) return -1;
            chunked = 1;
        } else if (ieq(line, nl, "connection")) {
            for (size_t i = 0; i + 5 <= vl; i++) if (ieq(v + i, 5, "close")) close_ = 1;
        }
        if (!hop) b_put(o, l, e - l);
        l = e;
    }
    if (has_cl && chunked) return -1;
    int bodyless = c->head_req || status == 204 || status == 304;
    if (!bodyless && !has_cl) b_puts(o, "\r\ntransfer-encoding: chunked");
    b_puts(o, "\r\n\r\n");
    u->persistent = !close_;
    if (bodyless) u->framing = 0;
    else if (chunked) { u->framing = 2; u->cstate = 0; }
    else if (has_cl) { u->framing = 1; u->left = cl; }
    else { u->framing = 3; u->persistent = 0; }
    if (u->framing == 1 && cl == 0) u->framing = 0;
    return 0;
}

/* What the target sent: the head, then the body as framed. */
static void up_readable(up_t *u) {
    conn *c = u->c;
    if (!c) { up_t **pp = &idle_pool; while (*pp && *pp != u) pp = &(*pp)->next_idle; if (*pp) *pp = u->next_idle; up_free(u); return; }
    b_reserve(&u->in, 65536);
    ssize_t n = read(u->fd, u->in.p + u->in.len, u->in.cap - u->in.len);
    if (n < 0) { if (errno == EAGAIN || errno == EINTR) return; up_fail(u); return; }
    if (n == 0) {
        if (u->head_seen && u->framing == 3) {  /* close-delimited: the end */
            b_puts(&c->out, "0\r\n\r\n");
            u->persistent = 0;
            finish_exchange(c);
            client_interest(c);
            return;
        }
        up_fail(u); return;
    }
    u->in.len += (size_t)n;
    if (!u->head_seen) {
        char *e = memmem(u->in.p + u->in.off, b_size(&u->in), "\r\n\r\n", 4);
        if (!e) { if (b_size(&u->in) > MAXHEAD) up_fail(u); return; }
        size_t hl = e + 4 - (u->in.p + u->in.off);
        size_t mark = c->out.len;
        if (answer_head(u, c, hl) < 0) { c->out.len = mark; up_fail(u); return; }
        u->head_seen = 1; c->resp_started = 1;
        u->in.off += hl;
        /* the request's bytes need no keeping any more */
        c->retained = 0;
        c->in.off = c->bpos;
    }
    size_t have = b_size(&u->in);
    if (u->framing == 1) {
        size_t take = have < u->left ? have : (size_t)u->left;
        b_put(&c->out, u->in.p + u->in.off, take);
        u->in.off += take; u->left -= take; c->body_out += take;
        if (u->left == 0) u->framing = 0;
    } else if (u->framing == 2) {
        long used = dechunk(u->in.p + u->in.off, have, &u->cstate, &u->csize, &c->out, &c->body_out);
        if (used < 0) { u->persistent = 0; up_fail(u); return; }
        u->in.off += (size_t)used;
        if (u->cstate == 4) u->framing = 0;
    } else if (u->framing == 3 && have) {
        b_printf(&c->out, "%zx\r\n", have); b_put(&c->out, u->in.p + u->in.off, have); b_puts(&c->out, "\r\n");
        c->body_out += have; u->in.off += have;
    }
    if (u->in.off == u->in.len) u->in.off = u->in.len = 0;
    if (u->framing == 0) {
        if (b_size(&u->in)) u->persistent = 0;  /* bytes past the answer: not reusable */
        finish_exchange(c);
    } else {
        up_interest(u);
    }
    client_writable(c);  /* written at once; what does not fit waits for EPOLLOUT */
}

/* The target failed: before the answer began, retry once (a pooled connection) or hand the
 * request to Python while its bytes are held; else answer 502 and close. */
static void up_fail(up_t *u) {
    conn *c = u->c;
    if (!c) { up_free(u); return; }
    c->up = NULL; u->c = NULL;
    int reused = u->reused;
    up_free(u);
    if (!c->resp_started && c->retained) {
        if (reused && !c->retried) {
            c->retried = 1;  /* once more on a new connection (send_request resends from the start) */
            start_up(c);
            return;
        }
        hand_off(c);
        return;
    }
    if (c->resp_started) {  /* cut mid-answer: so is the client's */
        count(c->block, C_REQ, 1);
        conn_free(c);
        return;
    }
    error_answer(c, 502);
    client_interest(c);
}

static void up_writable(up_t *u) {
    if (u->kind != 1) return;
    if (u->connecting) {
        int err = 0; socklen_t l = sizeof err;
        getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) { up_fail(u); return; }
        u->connecting = 0;
    }
    while (b_size(&u->out)) {
        ssize_t n = write(u->fd, u->out.p + u->out.off, b_size(&u->out));
        if (n < 0) { if (errno == EAGAIN || errno == EINTR) break; up_fail(u); return; }
        u->out.off += (size_t)n;
    }
    if (u->out.off == u->out.len) u->out.off = u->out.len = 0;
    up_interest(u);
    if (u->c) client_interest(u->c);
}

/* ---------- the client side ---------- */
static void try_head(conn *c) {
    while (!c->busy && !c->closing && b_size(&c->in)) {
        char *e = memmem(c->in.p + c->in.off, b_size(&c->in), "\r\n\r\n", 4);
        if (!e) { if (b_size(&c->in) > MAXHEAD || b_size(&c->in) > (size_t)max_line + max_hdr + 4096) hand_off(c); return; }
        handle_head(c, e + 4 - (c->in.p + c->in.off));
        return;  /* handle_head may have freed c */
    }
}

static void client_readable(conn *c) {
    size_t rel = c->bpos - c->in.off;  /* (b_reserve may move the live bytes to the front) */
    int fresh = !c->busy && b_size(&c->in) == 0;  /* a new head begins with these bytes */
    b_reserve(&c->in, 65536);
    c->bpos = c->in.off + rel;
    ssize_t n = read(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len);
    if (n < 0) { if (errno == EAGAIN || errno == EINTR) return; conn_free(c); return; }
    if (n == 0) {  /* the client closed (a half-close while answering: answer, then close) */
        if (c->busy && c->req_done) { c->closing = 1; client_interest(c); return; }
        if (c->busy) count(c->block, C_REQ, 1);
        conn_free(c);
        return;
    }
    c->in.len += (size_t)n;
    c->last = now_ns();
    if (fresh) c->head_since = c->last;
    if (c->busy) {
        if (!c->req_done && c->up) {
            if (pass_body(c) < 0) { count(c->block, C_REQ, 1); conn_free(c); return; }  /* a malformed chunked body */
            if (c->up->connecting) up_interest(c->up);
            else up_writable(c->up);
        }
        client_interest(c);
        return;
    }
    try_head(c);
    /* c may be gone; the caller does not touch it again */
}

static int client_writable(conn *c) {
    if (c->kind != 0) return -1;
    while (b_size(&c->out)) {
        ssize_t n = write(c->fd, c->out.p + c->out.off, b_size(&c->out));
        if (n < 0) { if (errno == EAGAIN || errno == EINTR) break; conn_free(c); return -1; }
        c->out.off += (size_t)n;
    }
    if (c->out.off == c->out.len) c->out.off = c->out.len = 0;
    if (!b_size(&c->out) && c->closing && !c->busy) { conn_free(c); return -1; }
    client_interest(c);
    if (c->up) up_interest(c->up);
    return 0;
}

static void accept_all(void) {
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss; socklen_t sl = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        char ip[INET6_ADDRSTRLEN];
        if (ss.ss_family == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
        else inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip);
        client_count *cc = client_slot(ip);
        if (nconns >= max_conns || !cc || cc->n >= max_per_client) { close(fd); continue; }  /* over the caps: refused */
        cc->n++; nconns++;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn *c = calloc(1, sizeof *c);
        c->fd = fd;
        memcpy(c->ip, ip, sizeof ip);
        c->last = now_ns();
        c->next_all = all; if (all) all->prev_all = c; all = c;
        add(S_ACCEPTED, 1);
        c->evs = EPOLLIN;
        ep_set(fd, c, EPOLLIN, 1);
    }
}

static int control_readable(void) {
    static uint8_t msg[1 << 20];
    ssize_t n = recv(cfd, msg, sizeof msg, MSG_DONTWAIT);
    if (n == 0) return -1;
    if (n < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
    if (msg[0] == 'T') {
        table *t = parse_table(msg, (size_t)n);
        if (t) {
            free_table(tab); tab = t;
            if (t->timeout > 0) idle_ns = (uint64_t)(t->timeout * 1e9);
            __atomic_store_n(&shm[S_VERSION], t->version, __ATOMIC_RELEASE);
        }
    }
    return 0;
}

/* Deadlines: a target's answer due within the idle timeout (504), idle keep-alive clients,
 * a head that does not arrive (Python answers 408: handed off). */
static void sweep(void) {
    uint64_t now = now_ns();
    for (conn *c = all, *nx; c; c = nx) {
        nx = c->next_all;
        if (c->busy && !c->resp_started && now - c->started >= idle_ns) { error_answer(c, 504); client_interest(c); }
        else if (!c->busy && b_size(&c->in) && now - c->head_since >= head_ns / 2) hand_off(c);  /* Python answers 408 */
        else if (!c->busy && !b_size(&c->in) && !b_size(&c->out) && now - c->last >= idle_ns) conn_free(c);
    }
}

int main(int argc, char **argv) {
    if (argc < 5) return 2;
    lfd = atoi(argv[1]); cfd = atoi(argv[2]);
    int sfd = atoi(argv[3]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (atoi(argv[4]) && getppid() != atoi(argv[4])) return 0;  /* the parent is gone already (0: not checked) */
    signal(SIGPIPE, SIG_IGN);
    size_t size = 8 * (SHM_WORDS + 8ull * NCOUNTERS);
    shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
    if (shm == MAP_FAILED) return 3;
    rng = ((uint64_t)getpid() << 32) ^ now_ns() ^ (uint64_t)time(NULL);
    FILE *ur = fopen("/dev/urandom", "rb");
    if (ur) { if (fread(&rng, sizeof rng, 1, ur) != 1) rng ^= 0x9e3779b97f4a7c15ull; fclose(ur); }
    if (!rng) rng = 1;
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);  /* several workers accept from it */
    ep = epoll_create1(EPOLL_CLOEXEC);
    static int lmark, cmark;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &lmark};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event ev2 = {.events = EPOLLIN, .data.ptr = &cmark};
    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev2);
    uint64_t next_sweep = now_ns() + 250000000ull;
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, 250);
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            uint32_t e = evs[i].events;
            if (p == &lmark) { accept_all(); continue; }
            if (p == &cmark) { if (control_readable() < 0) return 0; continue; }
            int kind = ((int *)p)[1];  /* conn and up_t both begin with int fd, int kind */
            if (kind == 0) {
                conn *c = p;
                if ((e & EPOLLOUT) && client_writable(c) < 0) continue;
                if ((e & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->kind == 0) client_readable(c);
            } else if (kind == 1) {
                up_t *u = p;
                if ((e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && (u->connecting || b_size(&u->out))) up_writable(u);
                if ((e & (EPOLLIN | EPOLLHUP | EPOLLERR)) && u->kind == 1 && !u->connecting) up_readable(u);
            }
        }
        for (size_t k = 0; k < ngrave; k++) free(grave[k]);
        ngrave = 0;
        uint64_t now = now_ns();
        if (now >= next_sweep) { sweep(); next_sweep = now + 250000000ull; }
    }
}
