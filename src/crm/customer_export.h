#pragma once
// Customers to a CSV file that `ting import customers` and the import API
// read back (docs/crm.md): UTF-8 with a byte order mark (spreadsheet programs
// need it to show Chinese), columns name, phone (every number, separated by
// ;), email, company, tags, address, notes, vip_level, owner (username),
// created_at, then one column per custom field in the data.

#include <cstddef>
#include <functional>
#include <ostream>

#include "crm/customers.h"
#include "store/store.h"

namespace ting::crm {

struct ExportOptions {
  CustomerFilter filter;     // phone is not used: it finds a handful at most
  bool mask_phones = false;  // 138****8000 for roles that need not see them
  std::size_t batch = 1000;  // customers read per query
  // Called after each batch with customers written and the total.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

// Writes the tenant's customers matching the filter, oldest first; returns
// how many. Cells that a spreadsheet would run as a formula get a leading '
// (csvField); the import takes it off phone numbers again.
Result<std::size_t> exportCustomers(store::Store& store, std::int64_t tenant_id,
                                    const ExportOptions& options, std::ostream& out);

// A copy of personal data leaving Ting goes on the record: the audit entry of
// an export, with how many customers and the filter that chose them.
Status auditExport(store::Store& store, const store::Actor& actor, const CustomerFilter& filter,
                   std::size_t rows);

}  // namespace ting::crm
