#!/usr/bin/env python3
"""bench/lsp_latency.py [FUNCTIONS] — `stark lsp` on a generated file of about 9 lines a
function (default 555 functions: 5,002 lines): the time from opening it to its
diagnostics, then three times an edit and its diagnostics, a hover and a completion
(issue "STARK in the editor and the browser": within 50 ms after an edit)."""
import json, subprocess, time, sys, os
ROOT=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
S=os.environ.get('STARK', os.path.join(ROOT,'target','release','stark'))
n_fns=int(sys.argv[1]) if len(sys.argv)>1 else 500
lines=['struct Point:','    x: Int','    y: Int','']
for i in range(n_fns):
    lines += [f'fn f{i}(a: Int, &ps: List<Point>) -> Int:', f'    mutable let s = a', '    for p in ps:', '        s += p.x * 2 + p.y', f'    let t = s % {i+7}', '    if t > 3:', '        s -= 1', '    return s + t', '']
lines += ['fn main():', '    let ps = [Point(1, 2)]', '    print(f0(1, ps))']
text='\n'.join(lines)+'\n'
path='/tmp/lspbench/main.stark'; os.makedirs('/tmp/lspbench',exist_ok=True); open(path,'w').write(text)
print('lines', len(lines))
p=subprocess.Popen([S,'lsp'],stdin=subprocess.PIPE,stdout=subprocess.PIPE)
def send(m):
    b=json.dumps(m).encode(); p.stdin.write(b'Content-Length: %d\r\n\r\n'%len(b)+b); p.stdin.flush()
def read():
    l=0
    while True:
        h=p.stdout.readline().strip()
        if not h: break
        if h.startswith(b'Content-Length'): l=int(h.split(b':')[1])
    return json.loads(p.stdout.read(l))
def diagnostics():
    # The next publishDiagnostics (the server logs after it how many functions it checked).
    while True:
        m=read()
        if m.get('method')=='textDocument/publishDiagnostics': return m
        if m.get('method')=='window/logMessage': print('  log:', m['params']['message'].split(' of /')[0])
def req(i,method,params):
    send({'jsonrpc':'2.0','id':i,'method':method,'params':params})
    while True:
        m=read()
        if m.get('id')==i: return m
        if m.get('method')=='window/logMessage': print('  log:', m['params']['message'].split(' of /')[0])
uri='file://'+path
req(1,'initialize',{'capabilities':{}}); send({'jsonrpc':'2.0','method':'initialized','params':{}})
t=time.time(); send({'jsonrpc':'2.0','method':'textDocument/didOpen','params':{'textDocument':{'uri':uri,'languageId':'stark','version':1,'text':text}}}); m=diagnostics(); print('open->diagnostics %.1f ms'%((time.time()-t)*1000), len(m['params']['diagnostics']))
line=len(lines)-3+1
for k in range(3):
    t=time.time(); send({'jsonrpc':'2.0','method':'textDocument/didChange','params':{'textDocument':{'uri':uri,'version':2+k},'contentChanges':[{'text':text.replace('s -= 1','s -= %d'%(k+2),1)}]}}); diagnostics(); t1=time.time()
    h=req(10+k,'textDocument/hover',{'textDocument':{'uri':uri},'position':{'line':5,'character':16}}); t2=time.time()
    c=req(20+k,'textDocument/completion',{'textDocument':{'uri':uri},'position':{'line':3,'character':14}}); t3=time.time()
    print('edit->diags %.1f ms, hover %.1f ms, completion %.1f ms'%((t1-t)*1000,(t2-t1)*1000,(t3-t2)*1000), str(h['result'])[:60])
req(99,'shutdown',None); send({'jsonrpc':'2.0','method':'exit'})
