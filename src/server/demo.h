#pragma once
// The demo tenant: `ting serve --demo`.

#include <string>
#include <vector>

#include "common/crypto.h"
#include "store/store.h"

namespace ting::server {

// Seeds tenant "demo" once: admin, super (supervisor), lead (team lead), qa
// (QA inspector), agents 1001–1005 and a few customers. When `password` is
// given it is applied to every demo account at each call; otherwise a random
// one is chosen and printed on the first call only.
//
// Telephony: SIP domain `demo.ting` with `sip_aliases` (127.0.0.1 and the
// server's advertised address) as other names of it, the same addresses as a
// trusted trunk, agents' SIP extensions = their staff numbers with the demo
// password as SIP password (stored as HA1), and DID 4000 running the demo
// IVR flow.
Status seedDemo(store::Store& store, const std::string& password, const PasswordParams& params,
                const std::vector<std::string>& sip_aliases = {"127.0.0.1"});

inline constexpr const char* kDemoSipDomain = "demo.ting";

}  // namespace ting::server
