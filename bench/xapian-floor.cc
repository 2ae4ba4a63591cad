/*
 * xapian-floor.cc - the floor reference of the indexing benchmark
 * (bench/index-bench.sh): the least an indexer built on Xapian has to do.
 *
 *   xapian-floor DBDIR DIR...
 *
 * Walks each DIR (sorted, recursively, skipping names that start with a
 * dot and symbolic links), and indexes every regular file as one document
 * in a single thread: the whole file through Xapian::TermGenerator with
 * the English stemmer and positions, the path as the document data and as
 * a unique "Q" term, into a fresh WritableDatabase at DBDIR, committing
 * every 1000 documents and at the end.  No parsing of headers, no
 * extraction, no incremental records.  Prints one line:
 *
 *   xapian-floor: documents=18846 bytes=36477460
 *
 * Exit status 0, 1 on any error (with a message).
 */
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <xapian.h>

namespace {

const unsigned COMMIT_EVERY = 1000;

// Regular files below dir, in sorted order, appended to out.
void
walk(const std::string &dir, std::vector<std::string> &out)
{
    DIR *d = opendir(dir.c_str());
    if (d == nullptr)
        throw std::runtime_error(dir + ": " + std::strerror(errno));
    std::vector<std::string> names;
    for (struct dirent *de; (de = readdir(d)) != nullptr;) {
        if (de->d_name[0] != '.')
            names.emplace_back(de->d_name);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    for (const std::string &name : names) {
        std::string path = dir + "/" + name;
        struct stat st;
        if (lstat(path.c_str(), &st) < 0)
            throw std::runtime_error(path + ": " + std::strerror(errno));
        if (S_ISDIR(st.st_mode))
            walk(path, out);
        else if (S_ISREG(st.st_mode))
            out.push_back(path);
    }
}

}  // namespace

int
main(int argc, char **argv)
{
    if (argc < 3) {
        std::cerr << "Usage: xapian-floor DBDIR DIR...\n"
                  << "Index every file below DIR as text with Xapian, "
                     "single-threaded.\n";
        return 2;
    }
    try {
        std::vector<std::string> files;
        for (int i = 2; i < argc; i++)
            walk(argv[i], files);

        Xapian::WritableDatabase db(argv[1], Xapian::DB_CREATE_OR_OVERWRITE);
        Xapian::TermGenerator tg;
        tg.set_stemmer(Xapian::Stem("english"));
        tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);

        unsigned long long bytes = 0;
        unsigned pending = 0;
        for (const std::string &path : files) {
            std::ifstream in(path, std::ios::binary);
            if (!in)
                throw std::runtime_error(path + ": cannot open");
            std::ostringstream text;
            text << in.rdbuf();
            const std::string body = text.str();
            bytes += body.size();

            Xapian::Document doc;
            tg.set_document(doc);
            tg.index_text(body);        // positions: index_text, not
                                        // index_text_without_positions
            doc.set_data(path);
            doc.add_boolean_term("Q" + path);
            db.add_document(doc);
            if (++pending == COMMIT_EVERY) {
                db.commit();
                pending = 0;
            }
        }
        db.commit();
        std::cout << "xapian-floor: documents=" << db.get_doccount()
                  << " bytes=" << bytes << "\n";
        db.close();
    } catch (const Xapian::Error &e) {
        std::cerr << "xapian-floor: " << e.get_description() << "\n";
        return 1;
    } catch (const std::exception &e) {
        std::cerr << "xapian-floor: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
