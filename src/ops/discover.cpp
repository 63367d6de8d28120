// discover: a depth-first walk over `referrers`, the path kept to refuse cycles.
#include <oras/error.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/discover.hpp>

#include <algorithm>

namespace oras::ops {

namespace asio = boost::asio;

namespace {

struct walker {
    content::referrer_lister& lister;
    const discover_options& o;
    std::vector<oras::digest> path{};  // the subject, then each ancestor of the node listed
    std::size_t listed = 0;

    asio::awaitable<std::vector<referrer_node>> children(descriptor of) {
        auto found = co_await lister.referrers(of, o.artifact_type);
        listed += found.size();
        if (listed > o.max_referrers) {
            throw error(errc::size_exceeds_limit, "more than " + std::to_string(o.max_referrers)
                                                      + " referrers below the subject");
        }
        std::vector<referrer_node> out;
        out.reserve(found.size());
        path.push_back(of.digest);
        for (auto& d : found) {
            referrer_node n;
            n.desc = std::move(d);
            if (std::find(path.begin(), path.end(), n.desc.digest) != path.end()) {
                n.cycle = true;
            } else if (path.size() >= o.max_depth) {
                n.truncated = true;
            } else if (media_type::is_graph_manifest(n.desc.media_type)) {
                n.referrers = co_await children(n.desc);
            }
            out.push_back(std::move(n));
        }
        path.pop_back();
        co_return out;
    }
};

}  // namespace

asio::awaitable<discover_result> discover(content::target& src, std::string subject,
                                          discover_options o) {
    auto* lister = dynamic_cast<content::referrer_lister*>(&src);
    if (lister == nullptr) {
        throw error(errc::unsupported, "this target cannot list referrers");
    }
    if (o.max_depth == 0) {
        throw error(errc::invalid_argument, "a discover depth is at least 1");
    }
    discover_result out;
    out.subject = co_await src.resolve(subject);
    if (o.platform) {
        out.subject = co_await select_platform(src, std::move(out.subject), *o.platform);
    }
    walker w{*lister, o};
    out.referrers = co_await w.children(out.subject);
    co_return out;
}

}  // namespace oras::ops
