// Internal: where a registry answers whether and how to authenticate.
#pragma once

#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

namespace oras::auth::detail {

/// The distribution API's root, `/v2/`, on the scheme, host and port of `on_registry` (any URL
/// of that registry). A GET there is the registry's ping, and its 401 carries the challenge.
/// Userinfo, query and fragment of `on_registry` are dropped: they must not reach a request.
boost::urls::url api_root_url(boost::urls::url_view on_registry);

}  // namespace oras::auth::detail
