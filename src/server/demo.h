#pragma once
// The demo tenant: `ting serve --demo`.

#include <string>

#include "common/crypto.h"
#include "store/store.h"

namespace ting::server {

// Seeds tenant "demo" once: admin, super (supervisor), lead (team lead), qa
// (QA inspector), agents 1001–1005 and a few customers. When `password` is
// given it is applied to every demo account at each call; otherwise a random
// one is chosen and printed on the first call only.
Status seedDemo(store::Store& store, const std::string& password, const PasswordParams& params);

}  // namespace ting::server
