# Sourced by the bench scripts that read one JSON line per measurement:
#   median            the median of the numbers on stdin
#   field KEY         KEY of the JSON object on stdin
#   col KEY FILE      the median of KEY over FILE's JSON lines
#   ratio A B         A / B as "1.23x"
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }
col() { while read -r l; do echo "$l" | field "$1"; done <"$2" | median; }
ratio() { python3 -c 'import sys; print("%.2fx" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }
