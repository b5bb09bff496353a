#pragma once
// Customers from a CSV file (docs/crm.md): the first line names the columns
// (name, phone, email, company, tags, address, notes, in English or Chinese;
// any other column is a custom field). Each row is checked on its own: a bad
// row is reported with its line and never half-applied, and the good rows
// are imported whatever the bad ones are.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace ting::crm {

struct ImportProblem {
  std::size_t line = 0;  // the row's first line in the file
  std::string field;     // the column at fault, "" for the whole row
  std::string message;
};

struct ImportReport {
  std::size_t rows = 0;  // data rows read (good and bad)
  std::size_t imported = 0;  // new customers
  std::size_t updated = 0;   // existing customers the rows completed (on_duplicate update)
  std::size_t skipped = 0;   // rows of customers already there (on_duplicate skip)
  std::size_t rejected = 0;
  std::vector<ImportProblem> problems;  // one per rejected row, in file order
};

// What a row whose number an existing customer of the tenant has becomes:
// a new customer all the same (create), nothing (skip), or more on that
// customer's card (update: the row's non-empty cells; numbers and tags are
// added to theirs). A number several customers share rejects the row in skip
// and update (merge them first).
enum class OnDuplicate { kCreate, kSkip, kUpdate };
std::optional<OnDuplicate> parseOnDuplicate(std::string_view text);

struct ImportOptions {
  std::size_t batch = 200;  // good rows written per transaction
  OnDuplicate on_duplicate = OnDuplicate::kCreate;
  // Called after each batch with bytes read so far and the file's size.
  std::function<void(std::size_t done, std::size_t total, const ImportReport&)> progress;
};

// kInvalidArgument when the file cannot be imported at all: no header line,
// no name or phone column, a column named twice, or a custom column whose
// name cannot be a field name. Errors of single rows are in the report.
Result<ImportReport> importCustomers(store::Store& store, const store::Actor& actor,
                                     std::string_view csv, const ImportOptions& options = {});

// The checks importCustomers makes of the header line alone (the same errors).
Status checkImportHeader(std::string_view csv);

// The report as CSV: "line,field,error" then one line per problem.
std::string reportCsv(const ImportReport& report);

// The audit entry of a whole import: rows read, imported and rejected.
Status auditImport(store::Store& store, const store::Actor& actor, const ImportReport& report);

}  // namespace ting::crm
