std = "lua54"
max_line_length = 100
exclude_files = {"build*/**", "bench/out/**"}
files["spec/"] = {std = "+busted"}
files["docs/porting.lua"] = {max_line_length = false}  -- the guide's markdown tables
