// bench/zimread: read every item of a ZIM through libzim, the other way
// to what ingest/zim.c does with zimdump in a child process; for the
// measurement in docs/benchmarks.md ("ZIM: zimdump or libzim").  Not built
// by make (C++ is no build dependency):
//   g++ -O2 -std=c++17 bench/zimread.cc -o zimread $(pkg-config --cflags --libs libzim)
//   ./zimread FILE.zim DIR    writes each item under DIR, like zimdump dump
//   ./zimread FILE.zim        reads each item, writes nothing
#include <zim/archive.h>
#include <zim/item.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

int
main(int argc, char **argv)
{
    if (argc < 2) {
        std::cerr << "usage: zimread FILE.zim [DIR]\n";
        return 2;
    }
    zim::Archive a(argv[1]);
    unsigned long long n = 0, bytes = 0;
    for (const auto &e : a.iterByPath()) {
        if (e.isRedirect()) {
            continue;
        }
        zim::Item it = e.getItem();
        zim::Blob b = it.getData();
        if (argc > 2) {
            std::filesystem::path p = std::filesystem::path(argv[2]) / it.getPath();
            std::filesystem::create_directories(p.parent_path());
            std::ofstream(p, std::ios::binary).write(b.data(), b.size());
        }
        n++;
        bytes += b.size();
    }
    for (const char *k : {"Title", "Language", "Source", "Date"}) {
        std::cout << k << ": " << a.getMetadata(k) << "\n";
    }
    std::cout << n << " items, " << bytes << " bytes\n";
    return 0;
}
