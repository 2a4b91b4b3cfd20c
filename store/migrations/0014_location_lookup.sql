-- Rooms are looked up by barcode (a scanned label, an import's location
-- column) and by display name (CMDB exports name rooms "ICU bed 12").
-- Without these indexes each lookup read the whole table, which made a
-- locations import quadratic (24,846 rooms took 34 s).
CREATE INDEX locations_barcode ON locations (barcode) WHERE barcode <> '';
CREATE INDEX locations_name ON locations (name) WHERE name <> '';
