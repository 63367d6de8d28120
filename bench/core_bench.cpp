// Micro-benchmarks of the pure core: reference, digest and manifest parsing and serialisation.
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/reference.hpp>

#include <benchmark/benchmark.h>

namespace {

oras::image_manifest sample_manifest(int layers) {
    oras::image_manifest m;
    m.media_type = oras::media_type::image_manifest;
    m.artifact_type = "application/vnd.example+type";
    m.config = oras::empty_json_descriptor();
    for (int i = 0; i < layers; ++i) {
        oras::descriptor d;
        d.media_type = oras::media_type::image_layer;
        d.digest = oras::digest::of(std::to_string(i));
        d.size = 1000 + i;
        d.annotations.emplace(oras::annotation::title, "file-" + std::to_string(i) + ".bin");
        m.layers.push_back(std::move(d));
    }
    return m;
}

void parse_reference(benchmark::State& state) {
    const std::string text =
        "registry.example.com:5000/team/project/app:v1.2.3@sha256:"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    for (auto _ : state) {
        benchmark::DoNotOptimize(oras::reference::parse(text));
    }
}
BENCHMARK(parse_reference);

void parse_manifest(benchmark::State& state) {
    const auto json = sample_manifest(static_cast<int>(state.range(0))).serialize();
    for (auto _ : state) {
        benchmark::DoNotOptimize(oras::image_manifest::parse(json));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * json.size()));
}
BENCHMARK(parse_manifest)->Arg(1)->Arg(100)->Arg(1000);

void serialize_manifest(benchmark::State& state) {
    const auto m = sample_manifest(static_cast<int>(state.range(0)));
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto s = m.serialize();
        bytes += s.size();
        benchmark::DoNotOptimize(s);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(serialize_manifest)->Arg(1)->Arg(100)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
