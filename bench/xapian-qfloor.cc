/*
 * xapian-qfloor.cc - the in-process reference of the query benchmark
 * (bench/query-bench.sh): the same searches straight through Xapian, with
 * no socket, no JSON and no daemon.
 *
 *   xapian-qfloor INDEX QUERIES [ROUNDS]
 *
 * Opens INDEX read-only (searchd's index folder is a stub file over its
 * shards, which Xapian::Database opens whole) and runs each query of
 * QUERIES (one a line, blank lines skipped) ROUNDS times over the list
 * (default 1) in one thread: a QueryParser with the English stemmer
 * (STEM_SOME), default operator AND, phrases and boolean operators, the
 * title: prefix as searchd indexes it, then Enquire::get_mset(0, 10).
 * Each query is timed with CLOCK_MONOTONIC from the parse until the MSet
 * is there, and in a second pass until MSet::snippet() has made a 200-
 * byte highlighted snippet of each of the 10 hits, from the text searchd
 * keeps in the document data (after its first line).  Prints two lines:
 *
 *   xapian-qfloor search: clients=1 count=200 errors=0 p50_ms=0.260 ...
 *   xapian-qfloor snippets: clients=1 count=200 errors=0 p50_ms=4.010 ...
 *
 * with p99_ms, max_ms and qps as qload prints them; errors counts queries
 * the parser refused.  Exit status 0, 1 on an error (with a message).
 */
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <xapian.h>

namespace {

double
now_ms()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

// Nearest-rank percentile of sorted values, as qload.c.
double
percentile(const std::vector<double> &v, double pct)
{
    size_t rank = (size_t)(pct / 100.0 * (double)v.size() + 0.999999);
    rank = std::max<size_t>(1, std::min(rank, v.size()));
    return v[rank - 1];
}

void
report(const char *what, std::vector<double> times, size_t errors,
       double wall)
{
    std::sort(times.begin(), times.end());
    std::printf("xapian-qfloor %s: clients=1 count=%zu errors=%zu "
                "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f qps=%.1f\n", what,
                times.size(), errors, percentile(times, 50),
                percentile(times, 99), times.back(),
                wall > 0 ? (double)times.size() * 1000.0 / wall : 0.0);
}

// One pass over the queries; with snippets, also a snippet of each hit.
void
run(Xapian::Database &db, Xapian::QueryParser &qp,
    const std::vector<std::string> &queries, long rounds, bool snippets)
{
    const unsigned flags = Xapian::QueryParser::FLAG_DEFAULT;
    Xapian::Enquire enq(db);
    Xapian::Stem stem("english");
    std::vector<double> times;
    size_t errors = 0, sink = 0;
    double t_start = now_ms();

    for (long r = 0; r < rounds; r++) {
        for (const std::string &q : queries) {
            double t0 = now_ms();
            try {
                enq.set_query(qp.parse_query(q, flags));
            } catch (const Xapian::QueryParserError &) {
                errors++;
                times.push_back(now_ms() - t0);
                continue;
            }
            Xapian::MSet mset = enq.get_mset(0, 10);
            if (snippets) {
                for (auto it = mset.begin(); it != mset.end(); ++it) {
                    std::string data = it.get_document().get_data();
                    size_t nl = data.find('\n');
                    std::string text = nl == std::string::npos ? data :
                        data.substr(nl + 1);
                    sink += mset.snippet(text, 200, stem).size();
                }
            } else {
                sink += mset.size();
            }
            times.push_back(now_ms() - t0);
        }
    }
    double wall = now_ms() - t_start;
    if (sink == 0)
        std::fprintf(stderr, "xapian-qfloor: no query matched anything\n");
    report(snippets ? "snippets" : "search", times, errors, wall);
}

}  // namespace

int
main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        std::fprintf(stderr, "Usage: xapian-qfloor INDEX QUERIES [ROUNDS]\n");
        return 2;
    }
    long rounds = argc == 4 ? std::strtol(argv[3], nullptr, 10) : 1;
    if (rounds < 1 || rounds > 1000) {
        std::fprintf(stderr, "xapian-qfloor: ROUNDS must be 1 to 1000\n");
        return 2;
    }
    std::ifstream in(argv[2]);
    if (!in) {
        std::fprintf(stderr, "xapian-qfloor: cannot read %s\n", argv[2]);
        return 1;
    }
    std::vector<std::string> queries;
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            queries.push_back(line);
    if (queries.empty()) {
        std::fprintf(stderr, "xapian-qfloor: %s: no query in it\n", argv[2]);
        return 1;
    }
    try {
        Xapian::Database db(argv[1]);
        Xapian::QueryParser qp;
        qp.set_database(db);
        qp.set_stemmer(Xapian::Stem("english"));
        qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
        qp.set_default_op(Xapian::Query::OP_AND);
        qp.add_prefix("title", "S");
        run(db, qp, queries, rounds, false);
        run(db, qp, queries, rounds, true);
    } catch (const Xapian::Error &e) {
        std::fprintf(stderr, "xapian-qfloor: %s\n",
                     e.get_description().c_str());
        return 1;
    }
    return 0;
}
